import type { EngineEvent, Transition, TransitionContext } from './engine-events.js';
import type { AccountMemory, EngineState } from './engine-state.js';
import { heldToken, sharedToken, streakOf, usableToken } from './engine-state.js';
import type { GrantType } from './grant.js';
import { adopt, fail } from './attempt-outcomes.js';
import { failureSpacingEndsAtMs } from './renewal-policy.js';
import { onTokenRefused } from './token-refusal.js';
import { RENEWAL_WAIT_LIMIT_MS } from './renewal-wait.js';

export type { Transition, TransitionContext } from './engine-events.js';

/**
 * The token engine's rules, as a pure function: no timers, no network, no logger. An event a state has no rule for
 * leaves state and memory as they are and asks for nothing.
 */
export function transition(
  state: EngineState,
  memory: AccountMemory,
  event: EngineEvent,
  context: TransitionContext,
): Transition {
  const unchanged: Transition = { state, memory, effects: [] };
  if (state.kind === 'closed') return unchanged;
  switch (event.kind) {
    case 'startAsked':
      // A retry after a failed first token is already what start() would do; the state then holds no token.
      return state.kind === 'idle' || (state.kind === 'retrying' && state.token === null)
        ? startAttempt(state, memory, 'password', 0)
        : unchanged;
    case 'tokenAsked':
      return onTokenAsked(state, memory, event.waitUntilMs, context);
    case 'refreshAsked':
      if (state.kind === 'acquiring' || state.kind === 'renewing') return unchanged;
      return startAttempt(
        state,
        { ...memory, passwordRefusal: released(memory) },
        state.kind === 'lockedOut' ? 'password' : renewalGrant(memory),
        0,
      );
    case 'timerFired':
      return state.kind === 'valid' || state.kind === 'retrying'
        ? startAttempt(state, memory, renewalGrant(memory), 0)
        : unchanged;
    case 'tokenObtained':
      if (state.kind !== 'acquiring' && state.kind !== 'renewing') return unchanged;
      return adopt(state, withFindings(memory, event.findings), event, context);
    case 'attemptFailed':
      if (state.kind !== 'acquiring' && state.kind !== 'renewing') return unchanged;
      return fail(state, withFindings(memory, event.findings), event, context);
    case 'storeTokenFound':
      // A request under way adopts what it finds itself; two notices may find the same token.
      if (state.kind === 'acquiring' || state.kind === 'renewing') return unchanged;
      if (heldToken(state)?.accessToken === event.obtained.tokenSet.accessToken) return unchanged;
      return adopt(state, memory, event, context);
    case 'tokenRefused':
      return onTokenRefused(state, memory, event.accessToken, context);
    case 'storeAnswersAgain': {
      const token = usableToken(state, context.nowMs);
      if (token === null) return unchanged;
      const shared = sharedToken(token.accessToken, token.expiresAt.getTime(), memory.refreshToken);
      return { state, memory, effects: [{ kind: 'shareToken', token: shared }] };
    }
    case 'renewalAnnounced':
      // New calls wait for the replica's token rather than go out with one it is about to revoke.
      if (state.kind !== 'valid' || usableToken(state, context.nowMs) === null) return unchanged;
      return {
        state: { ...state, heldBackUntilMs: context.nowMs + RENEWAL_WAIT_LIMIT_MS },
        memory,
        effects: [],
      };
    case 'closeAsked':
      return {
        state: { kind: 'closed' },
        memory,
        effects: [{ kind: 'cancelTimer' }, { kind: 'shutDown' }],
      };
  }
}

/** The refresh grant when a refresh token is known and EnKash did not just refuse our token; else the password grant. */
export function renewalGrant(memory: AccountMemory): GrantType {
  return memory.refreshToken !== undefined && !memory.passwordGrantNext
    ? 'refresh_token'
    : 'password';
}

function onTokenAsked(
  state: Exclude<EngineState, { kind: 'closed' }>,
  memory: AccountMemory,
  waitUntilMs: number,
  context: TransitionContext,
): Transition {
  switch (state.kind) {
    case 'acquiring':
    case 'renewing':
    case 'lockedOut':
      return { state, memory, effects: [] };
    case 'retrying': {
      // A caller never waits out a backoff, but a burst of callers must not hammer a failing endpoint either.
      const spacingEndsAtMs = failureSpacingEndsAtMs(state.streak);
      if (context.nowMs >= spacingEndsAtMs)
        return startAttempt(state, memory, renewalGrant(memory), 0);
      // A caller who waits for the end of the spacing has the retry then, rather than the backoff's later one.
      if (spacingEndsAtMs < state.retryAtMs && spacingEndsAtMs <= waitUntilMs) {
        return {
          state: { ...state, retryAtMs: spacingEndsAtMs },
          memory,
          effects: [{ kind: 'armTimer', delayMs: spacingEndsAtMs - context.nowMs }],
        };
      }
      return { state, memory, effects: [] };
    }
    case 'idle':
    case 'valid':
      return startAttempt(state, memory, renewalGrant(memory), 0);
  }
}

/** A request starts: whatever renewal or retry was pending is superseded by it. */
function startAttempt(
  state: Exclude<EngineState, { kind: 'closed' | 'acquiring' | 'renewing' }>,
  memory: AccountMemory,
  grant: GrantType,
  delayMs: number,
): Transition {
  const token = heldToken(state);
  const streak = streakOf(state);
  const attempt = { grant };
  return {
    state:
      token === null
        ? { kind: 'acquiring', attempt, streak }
        : { kind: 'renewing', token, attempt, streak },
    memory,
    effects: [{ kind: 'cancelTimer' }, { kind: 'startAttempt', grant, delayMs }],
  };
}

function withFindings(
  memory: AccountMemory,
  findings: Extract<EngineEvent, { kind: 'tokenObtained' }>['findings'],
): AccountMemory {
  return {
    ...memory,
    refreshToken: findings.refreshToken,
    passwordRefusal: findings.passwordRefusal,
    lastRequestAtMs: findings.lastRequestAtMs ?? memory.lastRequestAtMs,
  };
}

/** `refresh()` lets password grants go again; the check for a newer token stays given up. */
function released(memory: AccountMemory): AccountMemory['passwordRefusal'] {
  return memory.passwordRefusal === null
    ? null
    : { ...memory.passwordRefusal, blocksPasswordGrant: false };
}
