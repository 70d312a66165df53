import { describe, expect, it } from '@jest/globals';
import { badCredentials, rateLimited, serverError } from '../../test/support/token-errors.js';
import type { Effect, EngineEvent, TransitionContext } from './engine-events.js';
import type { AccountMemory, EngineState, FailureStreak, HeldToken } from './engine-state.js';
import { FRESH_MEMORY } from './engine-state.js';
import { transition } from './engine-transition.js';

// The engine's rules as a table: every state × every event, with no timers and no network. Each cell reads
// "next state: effects", or "ignored" when the state, the memory and the effects are all left as they were.

const NOW_MS = 10_000;
const EPOCH_MS = Date.parse('2026-12-06T00:00:00Z');
const context: TransitionContext = {
  nowMs: NOW_MS,
  epochMs: EPOCH_MS,
  refreshBeforeExpirySeconds: 300,
  backoffJitter: () => 1,
  renewalJitter: () => 0,
};

const held: HeldToken = {
  accessToken: 'held',
  usableUntilMs: NOW_MS + 3_000_000,
  expiresAt: new Date(EPOCH_MS + 3_005_000),
  source: 'password',
};
const expired: HeldToken = { ...held, usableUntilMs: NOW_MS - 1 };

/** One server error, 500 ms ago: callers may not send another request for 500 ms more. */
const recentFailure: FailureStreak = {
  failures: 1,
  lastError: serverError(),
  lastFailedAtMs: NOW_MS - 500,
  retryAfterUntilMs: Number.NEGATIVE_INFINITY,
};
const oldFailure: FailureStreak = { ...recentFailure, lastFailedAtMs: NOW_MS - 2_000 };
const lockOut: FailureStreak = { ...recentFailure, lastError: badCredentials() };

/** An account that obtained tokens before: a refresh token is known; the last request left 600 ms ago. */
const memory: AccountMemory = {
  ...FRESH_MEMORY,
  refreshToken: 'refresh-1',
  lastRequestAtMs: NOW_MS - 600,
  tokensObtained: 1,
};

const states: Record<string, { state: EngineState; memory: AccountMemory }> = {
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
  lockedOut: { state: { kind: 'lockedOut', token: null, streak: lockOut }, memory },
  closed: { state: { kind: 'closed' }, memory },
};

const fullLife = {
  tokenSet: { accessToken: 'new', lifetimeMs: 3_600_000, lifetimeAssumed: false },
  sentAtMs: NOW_MS,
};
const findings = { refreshToken: 'refresh-1', passwordRefusal: null, lastRequestAtMs: NOW_MS };

const events: Record<string, EngineEvent> = {
  startAsked: { kind: 'startAsked' },
  tokenAsked: { kind: 'tokenAsked' },
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
  closeAsked: { kind: 'closeAsked' },
};

const IGNORED = 'ignored';
const ADOPTED = 'valid: arm 3300000 ms, log, report acquired, settle token';
const RENEWED = 'valid: arm 3300000 ms, log, report renewed, settle token';
const RETRY = 'retrying: arm 1000 ms, warn, report failed, settle failure';
const LOCK = 'lockedOut: cancel timer, error, report failed, settle failure';
const CLOSE = 'closed: cancel timer, shut down';
const STORE_ADOPTED = 'valid: arm 3300000 ms, log, report acquired';
const STORE_RENEWED = 'valid: arm 3300000 ms, log, report renewed';

/** Rows: states; columns: events, in the order of `events`. */
const table: Record<string, Record<keyof typeof events, string>> = {
  idle: {
    startAsked: 'acquiring: cancel timer, start password',
    tokenAsked: 'acquiring: cancel timer, start password',
    refreshAsked: 'acquiring: cancel timer, start password',
    timerFired: IGNORED,
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_ADOPTED,
    'tokenRefused, held token': IGNORED,
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  acquiring: {
    startAsked: IGNORED,
    tokenAsked: IGNORED,
    refreshAsked: IGNORED,
    timerFired: IGNORED,
    tokenObtained: ADOPTED,
    'attemptFailed, retryable': RETRY,
    'attemptFailed, final': LOCK,
    storeTokenFound: IGNORED,
    'tokenRefused, held token': IGNORED,
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  valid: {
    startAsked: IGNORED,
    tokenAsked: 'renewing: cancel timer, start refresh_token',
    refreshAsked: 'renewing: cancel timer, start refresh_token',
    timerFired: 'renewing: cancel timer, start refresh_token',
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_RENEWED,
    'tokenRefused, held token':
      'acquiring: warn, cancel timer, start password after 400 ms, report invalidated',
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: 'valid: share',
    closeAsked: CLOSE,
  },
  'valid, token expired': {
    startAsked: IGNORED,
    tokenAsked: 'renewing: cancel timer, start refresh_token',
    refreshAsked: 'renewing: cancel timer, start refresh_token',
    timerFired: 'renewing: cancel timer, start refresh_token',
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_ADOPTED,
    'tokenRefused, held token':
      'acquiring: warn, cancel timer, start password after 400 ms, report invalidated',
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  renewing: {
    startAsked: IGNORED,
    tokenAsked: IGNORED,
    refreshAsked: IGNORED,
    timerFired: IGNORED,
    tokenObtained: RENEWED,
    'attemptFailed, retryable': RETRY,
    'attemptFailed, final': LOCK,
    storeTokenFound: IGNORED,
    'tokenRefused, held token': 'acquiring: warn, report invalidated',
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: 'renewing: share',
    closeAsked: CLOSE,
  },
  'retrying, token held': {
    startAsked: IGNORED,
    tokenAsked: IGNORED,
    refreshAsked: 'renewing: cancel timer, start refresh_token',
    timerFired: 'renewing: cancel timer, start refresh_token',
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_RENEWED,
    'tokenRefused, held token':
      'acquiring: warn, cancel timer, start password after 500 ms, report invalidated',
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: 'retrying: share',
    closeAsked: CLOSE,
  },
  'retrying, no token, spacing over': {
    startAsked: 'acquiring: cancel timer, start password',
    tokenAsked: 'acquiring: cancel timer, start refresh_token',
    refreshAsked: 'acquiring: cancel timer, start refresh_token',
    timerFired: 'acquiring: cancel timer, start refresh_token',
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: STORE_ADOPTED,
    'tokenRefused, held token': IGNORED,
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  lockedOut: {
    startAsked: IGNORED,
    tokenAsked: IGNORED,
    refreshAsked: 'acquiring: cancel timer, start password',
    timerFired: IGNORED,
    tokenObtained: IGNORED,
    'attemptFailed, retryable': IGNORED,
    'attemptFailed, final': IGNORED,
    storeTokenFound: 'lockedOut: log, report acquired',
    'tokenRefused, held token': IGNORED,
    'tokenRefused, other token': IGNORED,
    storeAnswersAgain: IGNORED,
    closeAsked: CLOSE,
  },
  closed: Object.fromEntries(Object.keys(events).map((event) => [event, IGNORED])),
};

function describeEffect(effect: Effect): string {
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

function outcome(stateName: string, eventName: string): string {
  const { state, memory: before } = states[stateName]!;
  const next = transition(state, before, events[eventName]!, context);
  if (next.state === state && next.memory === before && next.effects.length === 0) return IGNORED;
  return `${next.state.kind}: ${next.effects.map(describeEffect).join(', ')}`;
}

describe('the token engine transition table', () => {
  it('has a row for every state and a cell for every event', () => {
    expect(Object.keys(table)).toEqual(Object.keys(states));
    for (const row of Object.values(table)) expect(Object.keys(row)).toEqual(Object.keys(events));
  });

  describe.each(Object.keys(states))('in state %s', (stateName) => {
    it.each(Object.keys(events))('on %s', (eventName) => {
      expect(outcome(stateName, eventName)).toBe(table[stateName]![eventName]);
    });
  });
});

describe('what the engine remembers across states', () => {
  /** Feeds `steps` to the transition in order, each at its own time; returns the last transition. */
  function run(
    start: { state: EngineState; memory: AccountMemory },
    steps: Array<[atMs: number, event: EngineEvent]>,
  ): ReturnType<typeof transition> {
    let current = { ...start, effects: [] as readonly Effect[] };
    for (const [atMs, event] of steps) {
      current = transition(current.state, current.memory, event, { ...context, nowMs: atMs });
    }
    return current;
  }
  const valid = states.valid!;
  const refusedHeld: EngineEvent = { kind: 'tokenRefused', accessToken: 'held' };
  const handedBack: EngineEvent = {
    kind: 'tokenObtained',
    obtained: {
      ...fullLife,
      tokenSet: { ...fullLife.tokenSet, accessToken: 'held' },
      source: 'password',
    },
    durationMs: 5,
    findings,
  };

  it('passes refusals of a token the endpoint handed back on to callers, for a pause that doubles each round', () => {
    const first = run(valid, [
      [NOW_MS, refusedHeld],
      [NOW_MS, handedBack],
    ]);
    expect(first.memory.refused).toEqual({
      accessToken: 'held',
      rounds: 1,
      passOnUntilMs: NOW_MS + 1_000,
    });
    expect(first.effects.map(describeEffect)).toContain('warn');

    const passedOn = transition(first.state, first.memory, refusedHeld, {
      ...context,
      nowMs: NOW_MS + 999,
    });
    expect(passedOn.effects).toEqual([]);
    expect(passedOn.state).toBe(first.state);

    const second = run(first, [
      [NOW_MS + 1_000, refusedHeld],
      [NOW_MS + 1_000, handedBack],
    ]);
    expect(second.memory.refused).toEqual({
      accessToken: 'held',
      rounds: 2,
      passOnUntilMs: NOW_MS + 1_000 + 2_000,
    });
  });

  it('sends the password grant after a refusal until a token is obtained, then the refresh grant again', () => {
    const retrying = run(valid, [
      [NOW_MS, refusedHeld],
      [
        NOW_MS,
        {
          kind: 'attemptFailed',
          failure: serverError(),
          grant: 'password',
          durationMs: 1,
          findings,
        },
      ],
    ]);
    const retry = transition(retrying.state, retrying.memory, { kind: 'timerFired' }, context);
    expect(retry.effects.map(describeEffect)).toContain('start password');

    const adopted = run(retry, [[NOW_MS, events.tokenObtained!]]);
    expect(adopted.memory.passwordGrantNext).toBe(false);
    const renewal = transition(adopted.state, adopted.memory, { kind: 'timerFired' }, context);
    expect(renewal.effects.map(describeEffect)).toContain('start refresh_token');
  });

  it("grows the failure streak and keeps the server's Retry-After for callers", () => {
    const failed = run(states.acquiring!, [
      [
        NOW_MS,
        {
          kind: 'attemptFailed',
          failure: rateLimited(30_000),
          grant: 'password',
          durationMs: 1,
          findings,
        },
      ],
    ]);
    expect(failed.state).toMatchObject({
      kind: 'retrying',
      retryAtMs: NOW_MS + 30_000,
      streak: { failures: 1, retryAfterUntilMs: NOW_MS + 30_000 },
    });
    // Past the on-demand spacing, within the Retry-After: a caller's request would not be sent.
    const asked = transition(
      failed.state,
      failed.memory,
      { kind: 'tokenAsked' },
      { ...context, nowMs: NOW_MS + 5_000 },
    );
    expect(asked.effects).toEqual([]);
    const again = run(failed, [
      [NOW_MS + 30_000, { kind: 'timerFired' }],
      [
        NOW_MS + 30_000,
        {
          kind: 'attemptFailed',
          failure: serverError(),
          grant: 'password',
          durationMs: 1,
          findings,
        },
      ],
    ]);
    expect(again.state).toMatchObject({
      kind: 'retrying',
      streak: { failures: 2, retryAfterUntilMs: NOW_MS + 30_000 },
      retryAtMs: NOW_MS + 30_000 + 2_000,
    });
  });

  it('keeps the refresh token when an answer carries none, and counts every token obtained', () => {
    const adopted = run(states.renewing!, [[NOW_MS, events.tokenObtained!]]);
    expect(adopted.memory.refreshToken).toBe('refresh-1');
    expect(adopted.memory.tokensObtained).toBe(2);
    expect(adopted.memory.lastObtainedAt).toEqual(new Date(EPOCH_MS));
    const fromStore = run(adopted, [
      [
        NOW_MS,
        {
          ...events.storeTokenFound!,
          obtained: {
            ...fullLife,
            tokenSet: { ...fullLife.tokenSet, accessToken: 'newer' },
            source: 'store',
          },
        } as EngineEvent,
      ],
    ]);
    expect(fromStore.memory.tokensObtained).toBe(3);
  });

  it('lets refresh() send password grants again after the password was refused, and keeps the check given up', () => {
    const refusal = { error: badCredentials(), blocksPasswordGrant: true };
    const next = transition(
      states.lockedOut!.state,
      { ...memory, passwordRefusal: refusal },
      { kind: 'refreshAsked' },
      context,
    );
    expect(next.memory.passwordRefusal).toEqual({
      error: refusal.error,
      blocksPasswordGrant: false,
    });
  });

  it('keeps what an attempt learned of the account even when it failed', () => {
    const failed = run(states.renewing!, [
      [
        NOW_MS,
        {
          kind: 'attemptFailed',
          failure: serverError(),
          grant: 'refresh_token',
          durationMs: 1,
          findings: {
            refreshToken: undefined,
            passwordRefusal: null,
            lastRequestAtMs: NOW_MS - 10,
          },
        },
      ],
    ]);
    expect(failed.memory.refreshToken).toBeUndefined();
    expect(failed.memory.lastRequestAtMs).toBe(NOW_MS - 10);
  });
});
