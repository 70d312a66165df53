import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { resolveEnkashAuthOptions } from '../enkash-auth.options.js';
import type { TokenEngineEvent } from '../events/enkash-token-event.interface.js';
import { recordingLogger } from '../../test/support/recording-logger.js';
import { NO_WAIT, ScriptedGrants } from '../../test/support/scripted-grants.js';
import { badCredentials, serverError } from '../../test/support/token-errors.js';
import { UNIT_REGISTRATION } from '../../test/support/unit-options.js';
import { RenewalTimer } from './renewal-timer.js';
import { TokenEngine } from './token-engine.js';

// The engine tells its listener (events$) of each token and failure while it is still handling it: whatever the
// listener calls back, EnKash sees no request it would not have seen otherwise, and every caller is answered.

describe('TokenEngine called back from its own listener', () => {
  let grants: ScriptedGrants;
  let engine: TokenEngine;
  let onEvent: (event: TokenEngineEvent) => void;
  /** Events the listener acted upon: bounded, so that an engine that loops fails the test instead of hanging it. */
  let reactions: number;
  const react = (): boolean => ++reactions <= 5;

  function createEngine(logger = recordingLogger()): TokenEngine {
    return new TokenEngine({
      options: resolveEnkashAuthOptions({ ...UNIT_REGISTRATION, serverTokenCheck: 'never' }),
      client: grants,
      timer: new RenewalTimer(new SchedulerRegistry(), 'enkash-auth:token-renewal'),
      logger,
      random: () => 1,
      renewalJitter: () => 0,
      onEvent: (event) => onEvent(event),
    });
  }

  beforeEach(() => {
    jest.useFakeTimers();
    grants = new ScriptedGrants();
    onEvent = () => undefined;
    reactions = 0;
    engine = createEngine();
  });

  afterEach(() => {
    engine.close();
    jest.useRealTimers();
  });

  it('joins the request that just ended when refresh() is called on a failure: one failed login, not a storm', async () => {
    grants.answers.password.push(badCredentials(), badCredentials(), badCredentials());
    const refreshes: Array<Promise<unknown>> = [];
    onEvent = (event) => {
      if (event.type === 'failed')
        refreshes.push(engine.refresh().catch((error: unknown) => error));
    };
    await expect(engine.getAccessToken()).rejects.toMatchObject({ code: 'invalid_credentials' });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(await Promise.all(refreshes)).toEqual([
      expect.objectContaining({ code: 'invalid_credentials' }),
    ]);
    expect(grants.count('password')).toBe(1);
  });

  it('joins the request that just ended when refresh() is called on a transient failure: backoff kept', async () => {
    grants.answers.password.push(serverError(), serverError(), serverError());
    onEvent = (event) => {
      if (event.type === 'failed' && react()) void engine.refresh().catch(() => undefined);
    };
    await expect(engine.getAccessToken(NO_WAIT)).rejects.toMatchObject({ code: 'server_error' });
    await jest.advanceTimersByTimeAsync(100);
    expect(grants.count('password')).toBe(1);
  });

  it('joins the request that just ended when refresh() is called on a token: no chain of renewals', async () => {
    onEvent = (event) => {
      if ((event.type === 'acquired' || event.type === 'renewed') && react()) void engine.refresh();
    };
    expect(await engine.getAccessToken()).toBe('access-1');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(grants.calls).toHaveLength(1);
  });

  it('answers callers with the token when the logger throws on the line that reports it', async () => {
    const logger = recordingLogger();
    logger.log.mockImplementation(() => {
      throw new Error('log sink full');
    });
    engine.close();
    engine = createEngine(logger);
    await expect(engine.getAccessToken()).resolves.toBe('access-1');
    expect(engine.getStatus().state).toBe('valid');
  });

  it('rejects the waiting callers when closed from a listener of the failure', async () => {
    grants.answers.password.push(serverError());
    onEvent = (event) => {
      if (event.type === 'failed') engine.close();
    };
    await expect(engine.getAccessToken()).rejects.toMatchObject({ code: 'network' });
    expect(engine.getStatus().state).toBe('closed');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(grants.calls).toHaveLength(1);
  });
});
