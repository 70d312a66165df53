import type { EnkashAuthError, EnkashAuthErrorCode } from '../errors/enkash-auth.error.js';
import {
  lifetimeAssumed,
  lifetimeCapped,
  lockedOut,
  refreshGrantGivesWay,
  refusedTokenHandedBack,
  retryScheduled,
  suspicionLifted,
  tokenObtained,
} from '../enkash-auth.messages.js';
import type {
  Effect,
  EngineEvent,
  ObtainedToken,
  Transition,
  TransitionContext,
} from './engine-events.js';
import type { AccountMemory, EngineState, FailureStreak, HeldToken } from './engine-state.js';
import type { GrantType } from './grant.js';
import { usableToken } from './engine-state.js';
import {
  backoffDelayMs,
  expiryGuardMs,
  failureSpacingEndsAtMs,
  refusalPassOnMs,
  renewalDelayMs,
  SUSPECTED_RENEWALS,
} from './renewal-policy.js';
import { failedEvent, obtainedEvent } from './token-event-reporter.js';

// How an attempt ends, for engine-transition.ts: with a token (adopted, renewal scheduled) or with a failure
// (retried with backoff, or a lock-out).

/** Adopts the token an attempt obtained, or one found in the shared store. */
export function adopt(
  state: Exclude<EngineState, { kind: 'closed' }>,
  before: AccountMemory,
  event: Extract<EngineEvent, { kind: 'tokenObtained' | 'storeTokenFound' }>,
  context: TransitionContext,
): Transition {
  const { nowMs, epochMs } = context;
  const { tokenSet, source, sentAtMs }: ObtainedToken = event.obtained;
  const replacedValidToken = usableToken(state, nowMs) !== null;
  const expiresAtMs = sentAtMs + tokenSet.lifetimeMs;
  const token: HeldToken = {
    accessToken: tokenSet.accessToken,
    usableUntilMs: expiresAtMs - expiryGuardMs(tokenSet.lifetimeMs),
    expiresAt: new Date(epochMs + (expiresAtMs - nowMs)),
    source,
  };
  const effects: Effect[] = [];
  let refused = before.refused;
  if (refused?.accessToken === tokenSet.accessToken) {
    const pauseMs = refusalPassOnMs(refused.rounds);
    refused = { ...refused, passOnUntilMs: nowMs + pauseMs };
    effects.push({ kind: 'log', level: 'warn', message: refusedTokenHandedBack(pauseMs) });
  }
  const suspectedRenewalsLeft = suspicionAfter(state, before);
  if (suspectedRenewalsLeft === 0 && before.suspectedRenewalsLeft > 0) {
    effects.push({ kind: 'log', level: 'log', message: suspicionLifted(SUSPECTED_RENEWALS) });
  }
  const memory: AccountMemory = {
    ...before,
    // EnKash usually answers a refresh grant without a new refresh token: the old one stays good.
    refreshToken: tokenSet.refreshToken ?? before.refreshToken,
    refused,
    passwordGrantNext: false,
    suspectedRenewalsLeft,
    tokensObtained: before.tokensObtained + 1,
    lastObtainedAt: new Date(epochMs),
  };
  let next: EngineState;
  let renewalAt: Date | null = null;
  if (state.kind === 'lockedOut' && source === 'store') {
    // A token another instance obtained says nothing of this instance's credentials: the lock-out stays, so that
    // no password grant of ours follows the next 401, and no renewal is scheduled.
    next = { kind: 'lockedOut', token, streak: state.streak };
  } else {
    const delayMs = Math.max(
      0,
      renewalDelayMs(
        tokenSet.lifetimeMs,
        context.refreshBeforeExpirySeconds,
        () => context.renewalJitter,
      ) -
        (nowMs - sentAtMs),
    );
    next = { kind: 'valid', token, renewAtMs: nowMs + delayMs };
    renewalAt = new Date(epochMs + delayMs);
    effects.push({ kind: 'armTimer', delayMs });
  }
  effects.push({
    kind: 'log',
    level: 'log',
    message: tokenObtained(source, token.expiresAt, renewalAt),
  });
  if (tokenSet.lifetimeAssumed) {
    effects.push({ kind: 'log', level: 'warn', message: lifetimeAssumed(tokenSet.lifetimeMs) });
  }
  if (tokenSet.lifetimeCapped) {
    effects.push({ kind: 'log', level: 'warn', message: lifetimeCapped(tokenSet.lifetimeMs) });
  }
  effects.push({
    kind: 'report',
    event: obtainedEvent(
      replacedValidToken,
      source,
      event.durationMs,
      token.expiresAt,
      new Date(epochMs),
    ),
  });
  // Callers waiting for a retry take a token found in the store as well as one of their own request.
  effects.push({ kind: 'settleCallers', outcome: { token } });
  return { state: next, memory, effects };
}

/** Records a failed attempt: a retry with backoff, or a lock-out when trying again cannot help. */
export function fail(
  state: Extract<EngineState, { kind: 'acquiring' | 'renewing' }>,
  memory: AccountMemory,
  event: Extract<EngineEvent, { kind: 'attemptFailed' }>,
  context: TransitionContext,
): Transition {
  const { failure } = event;
  const { nowMs } = context;
  const streak = grownStreak(state.streak, failure, nowMs);
  const token = state.kind === 'renewing' ? state.token : null;
  const grant = failure.grantType ?? event.grant;
  const validUntil = usableToken(state, nowMs)?.expiresAt ?? null;
  const report: Effect = {
    kind: 'report',
    event: failedEvent(
      grant,
      event.durationMs,
      validUntil,
      failure.code,
      new Date(context.epochMs),
    ),
  };
  if (!failure.retryable) {
    return {
      state: { kind: 'lockedOut', token, streak },
      memory,
      effects: [
        { kind: 'cancelTimer' },
        { kind: 'log', level: 'error', message: lockedOut(failure) },
        report,
        { kind: 'settleCallers', outcome: { failure, nextAttemptInMs: null } },
      ],
    };
  }
  const delayMs = retryDelayMs(streak, failure, context);
  const switchesGrant = givesWayToPassword(state, memory, grant, failure, nowMs + delayMs);
  const message = retryScheduled(
    grant,
    failure.code,
    failure.status,
    delayMs,
    validUntil,
    failure.message,
  );
  const effects: Effect[] = [
    { kind: 'armTimer', delayMs },
    { kind: 'log', level: 'warn', message },
  ];
  if (switchesGrant) {
    effects.push({ kind: 'log', level: 'warn', message: refreshGrantGivesWay(failure.code) });
  }
  effects.push(report, {
    kind: 'settleCallers',
    outcome: { failure, nextAttemptInMs: delayMs },
  });
  return {
    state: { kind: 'retrying', token, streak, retryAtMs: nowMs + delayMs },
    memory: switchesGrant ? { ...memory, passwordGrantNext: true } : memory,
    effects,
  };
}

/**
 * The backoff, never before a `Retry-After`; callers who would wait for it have the retry as soon as the on-demand
 * spacing allows, as if they had asked then.
 */
function retryDelayMs(
  streak: FailureStreak,
  failure: EnkashAuthError,
  context: TransitionContext,
): number {
  const backoffMs = Math.max(
    backoffDelayMs(streak.failures, () => context.backoffJitter),
    failure.retryAfterMs ?? 0,
  );
  const spacingMs = failureSpacingEndsAtMs(streak) - context.nowMs;
  return spacingMs < backoffMs && context.nowMs + spacingMs <= context.callersWaitUntilMs
    ? spacingMs
    : backoffMs;
}

/**
 * Whether a failed refresh grant gives way to the password grant until a token is obtained: it failed on its own
 * account (not the network or a rate limit, which both grants share), and no valid token will be held when the retry
 * comes, so nothing else serves callers meanwhile. Never when EnKash already refused the password: that retry would
 * be one more failed login towards its lock-out, where the refresh grant may work again after the blip.
 */
function givesWayToPassword(
  state: EngineState,
  memory: AccountMemory,
  grant: GrantType,
  failure: EnkashAuthError,
  retryAtMs: number,
): boolean {
  return (
    grant === 'refresh_token' &&
    REFRESH_GRANT_FAILURES.has(failure.code) &&
    usableToken(state, retryAtMs) === null &&
    !memory.passwordGrantNext &&
    memory.passwordRefusal?.blocksPasswordGrant !== true
  );
}

/**
 * Failures of a refresh grant that the password grant may not share: the network and a rate limit are the token
 * endpoint's, whatever the grant.
 */
const REFRESH_GRANT_FAILURES: ReadonlySet<EnkashAuthErrorCode> = new Set([
  'server_error',
  'malformed_response',
  'timeout',
]);

function grownStreak(
  streak: FailureStreak | null,
  failure: EnkashAuthError,
  nowMs: number,
): FailureStreak {
  return {
    failures: (streak?.failures ?? 0) + 1,
    lastError: failure,
    lastFailedAtMs: nowMs,
    retryAfterUntilMs:
      failure.retryAfterMs !== undefined
        ? nowMs + failure.retryAfterMs
        : (streak?.retryAfterUntilMs ?? Number.NEGATIVE_INFINITY),
  };
}

/**
 * How many more renewals check EnKash's current token first, once a token was adopted: each renewal is one fewer,
 * whatever the check found. A server that mints a new pair on every password grant always hands the check another
 * token than ours, so that finding one is no sign of a replica; a refusal is, and starts the count again.
 */
function suspicionAfter(state: EngineState, memory: AccountMemory): number {
  const left = memory.suspectedRenewalsLeft;
  return state.kind === 'renewing' && left > 0 ? left - 1 : left;
}
