// The states, the memory and the events the transition specs start from, at one fixed moment.
import { badCredentials, serverError } from './token-errors.js';
import type { Effect, EngineEvent, TransitionContext } from '../../lib/token/engine-events.js';
import type {
  AccountMemory,
  EngineState,
  FailureStreak,
  HeldToken,
} from '../../lib/token/engine-state.js';
import { FRESH_MEMORY } from '../../lib/token/engine-state.js';

export const NOW_MS = 10_000;
export const EPOCH_MS = Date.parse('2026-12-06T00:00:00Z');
export const context: TransitionContext = {
  nowMs: NOW_MS,
  epochMs: EPOCH_MS,
  refreshBeforeExpirySeconds: 300,
  backoffJitter: 1,
  renewalJitter: 0,
  callersWaitUntilMs: Number.NEGATIVE_INFINITY,
};

export const held: HeldToken = {
  accessToken: 'held',
  usableUntilMs: NOW_MS + 3_000_000,
  expiresAt: new Date(EPOCH_MS + 3_005_000),
  source: 'password',
};
export const expired: HeldToken = { ...held, usableUntilMs: NOW_MS - 1 };

/** One server error, 500 ms ago: callers may not send another request for 500 ms more. */
export const recentFailure: FailureStreak = {
  failures: 1,
  lastError: serverError(),
  lastFailedAtMs: NOW_MS - 500,
  retryAfterUntilMs: Number.NEGATIVE_INFINITY,
};
export const oldFailure: FailureStreak = { ...recentFailure, lastFailedAtMs: NOW_MS - 2_000 };
/** The fourth failure in a row, 500 ms ago: callers may send the next request in 4.5 s, the backoff in 7.5 s. */
export const fourthFailure: FailureStreak = { ...recentFailure, failures: 4 };
export const lockOut: FailureStreak = { ...recentFailure, lastError: badCredentials() };

/** An account that obtained tokens before: a refresh token is known; the last request left 600 ms ago. */
export const memory: AccountMemory = {
  ...FRESH_MEMORY,
  refreshToken: 'refresh-1',
  lastRequestAtMs: NOW_MS - 600,
  tokensObtained: 1,
};

export const states: Record<string, { state: EngineState; memory: AccountMemory }> = {
  idle: { state: { kind: 'idle' }, memory: FRESH_MEMORY },
  acquiring: {
    state: { kind: 'acquiring', attempt: { grant: 'password' }, streak: null },
    memory: FRESH_MEMORY,
  },
  valid: { state: { kind: 'valid', token: held, renewAtMs: NOW_MS + 60_000 }, memory },
  'valid, token expired': {
    state: { kind: 'valid', token: expired, renewAtMs: NOW_MS + 60_000 },
    memory,
  },
  renewing: {
    state: { kind: 'renewing', token: held, attempt: { grant: 'refresh_token' }, streak: null },
    memory,
  },
  'retrying, token held': {
    state: { kind: 'retrying', token: held, streak: recentFailure, retryAtMs: NOW_MS + 500 },
    memory,
  },
  'retrying, no token, spacing over': {
    state: { kind: 'retrying', token: null, streak: oldFailure, retryAtMs: NOW_MS + 500 },
    memory,
  },
  'retrying, no token, within spacing': {
    state: { kind: 'retrying', token: null, streak: recentFailure, retryAtMs: NOW_MS + 500 },
    memory,
  },
  'retrying, no token, backoff past spacing': {
    state: { kind: 'retrying', token: null, streak: fourthFailure, retryAtMs: NOW_MS + 7_500 },
    memory,
  },
  lockedOut: { state: { kind: 'lockedOut', token: null, streak: lockOut }, memory },
  'lockedOut, a store token held': {
    state: { kind: 'lockedOut', token: held, streak: lockOut },
    memory,
  },
  closed: { state: { kind: 'closed' }, memory },
};

export const fullLife = {
  tokenSet: { accessToken: 'new', lifetimeMs: 3_600_000, lifetimeAssumed: false },
  sentAtMs: NOW_MS,
};
export const findings = {
  refreshToken: 'refresh-1',
  passwordRefusal: null,
  lastRequestAtMs: NOW_MS,
};

export const events: Record<string, EngineEvent> = {
  startAsked: { kind: 'startAsked' },
  /** A caller who will not wait for a later request. */
  tokenAsked: { kind: 'tokenAsked', waitUntilMs: NOW_MS },
  /** A caller who waits 5 s for a request to start. */
  'tokenAsked, patient': { kind: 'tokenAsked', waitUntilMs: NOW_MS + 5_000 },
  refreshAsked: { kind: 'refreshAsked' },
  timerFired: { kind: 'timerFired' },
  tokenObtained: {
    kind: 'tokenObtained',
    obtained: { ...fullLife, source: 'password' },
    durationMs: 40,
    findings,
  },
  'attemptFailed, retryable': {
    kind: 'attemptFailed',
    failure: serverError(),
    grant: 'password',
    durationMs: 40,
    findings,
  },
  'attemptFailed, refresh grant': {
    kind: 'attemptFailed',
    failure: serverError(),
    grant: 'refresh_token',
    durationMs: 40,
    findings,
  },
  'attemptFailed, final': {
    kind: 'attemptFailed',
    failure: badCredentials(),
    grant: 'password',
    durationMs: 40,
    findings,
  },
  storeTokenFound: {
    kind: 'storeTokenFound',
    obtained: { ...fullLife, source: 'store' },
    durationMs: 2,
  },
  'tokenRefused, held token': { kind: 'tokenRefused', accessToken: 'held' },
  'tokenRefused, other token': { kind: 'tokenRefused', accessToken: 'older' },
  storeAnswersAgain: { kind: 'storeAnswersAgain' },
  renewalAnnounced: { kind: 'renewalAnnounced' },
  closeAsked: { kind: 'closeAsked' },
};

/** An effect in a word or three, as the table's cells spell them. */
export function describeEffect(effect: Effect): string {
  switch (effect.kind) {
    case 'startAttempt':
      return `start ${effect.grant}${effect.delayMs > 0 ? ` after ${effect.delayMs} ms` : ''}`;
    case 'armTimer':
      return `arm ${effect.delayMs} ms`;
    case 'cancelTimer':
      return 'cancel timer';
    case 'settleCallers':
      return 'token' in effect.outcome ? 'settle token' : 'settle failure';
    case 'log':
      return effect.level;
    case 'report':
      return `report ${effect.event.type}`;
    case 'shareToken':
      return 'share';
    case 'shutDown':
      return 'shut down';
  }
}
