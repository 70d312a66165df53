import { describe, expect, it } from '@jest/globals';
import { badCredentials, rateLimited, serverError } from '../../test/support/token-errors.js';
import {
  context,
  describeEffect,
  EPOCH_MS,
  events,
  findings,
  fullLife,
  memory,
  NOW_MS,
  states,
} from '../../test/support/engine-fixtures.js';
import type { Effect, EngineEvent } from './engine-events.js';
import type { AccountMemory, EngineState } from './engine-state.js';
import { transition } from './engine-transition.js';

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
      { kind: 'tokenAsked', waitUntilMs: NOW_MS + 5_000 },
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
