import { tokenRefused } from '../enkash-auth.messages.js';
import type { Effect, Transition, TransitionContext } from './engine-events.js';
import type { AccountMemory, EngineState } from './engine-state.js';
import { heldToken, streakOf } from './engine-state.js';
import {
  failureSpacingEndsAtMs,
  ON_DEMAND_MIN_INTERVAL_MS,
  SUSPECTED_RENEWALS,
} from './renewal-policy.js';
import { invalidatedEvent } from './token-event-reporter.js';

/**
 * EnKash refused `accessToken` on a call: drop it if it is still the held one and fetch the server's current token
 * with the password grant, which revokes nothing. When the token endpoint hands that very token back, the 401s are
 * not about the token (a wrong API host, a missing product header): further refusals of it are passed on to callers
 * for a pause that doubles with each round (see the adoption in attempt-outcomes.ts).
 */
export function onTokenRefused(
  state: Exclude<EngineState, { kind: 'closed' }>,
  before: AccountMemory,
  accessToken: string,
  context: TransitionContext,
): Transition {
  const refusedToken = heldToken(state);
  if (refusedToken?.accessToken !== accessToken) return { state, memory: before, effects: [] };
  const { nowMs } = context;
  const known = before.refused?.accessToken === accessToken ? before.refused : null;
  // The token endpoint handed this very token back after it was refused: callers see EnKash's answer for a while.
  if (known !== null && nowMs < known.passOnUntilMs) return { state, memory: before, effects: [] };
  const memory: AccountMemory = {
    ...before,
    refused: {
      accessToken,
      rounds: (known?.rounds ?? 0) + 1,
      passOnUntilMs: known?.passOnUntilMs ?? Number.NEGATIVE_INFINITY,
    },
    suspectedRenewalsLeft: SUSPECTED_RENEWALS,
    passwordGrantNext: true,
  };
  const warn: Effect = { kind: 'log', level: 'warn', message: tokenRefused() };
  // Reported once the re-acquisition is under way: a listener that asks for a token joins it, spacing kept.
  const report: Effect = {
    kind: 'report',
    event: invalidatedEvent(refusedToken.source, refusedToken.expiresAt, new Date(context.epochMs)),
  };
  switch (state.kind) {
    case 'renewing':
      return {
        state: { kind: 'acquiring', attempt: state.attempt, streak: state.streak },
        memory,
        effects: [warn, report],
      };
    case 'lockedOut':
      return { state: { ...state, token: null }, memory, effects: [warn, report] };
    case 'valid':
    case 'retrying': {
      // A server that refuses every token it hands out must not turn each failing call into a token request, and
      // a failing token endpoint keeps its spacing and its Retry-After.
      const streak = streakOf(state);
      const notBeforeMs = Math.max(
        memory.lastRequestAtMs + ON_DEMAND_MIN_INTERVAL_MS,
        streak === null ? Number.NEGATIVE_INFINITY : failureSpacingEndsAtMs(streak),
      );
      return {
        state: { kind: 'acquiring', attempt: { grant: 'password' }, streak },
        memory,
        effects: [
          { kind: 'cancelTimer' },
          { kind: 'startAttempt', grant: 'password', delayMs: Math.max(0, notBeforeMs - nowMs) },
          warn,
          report,
        ],
      };
    }
    default:
      return { state, memory: before, effects: [] };
  }
}
