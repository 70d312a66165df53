import { describe, expect, it } from '@jest/globals';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import {
  advance,
  flush,
  renewalAfterMs,
  useEngineTiming,
} from '../../test/support/engine-timing.js';
import { engine, engineChecking, grants, logger } from '../../test/support/engine-timing.js';
import { NO_WAIT, token } from '../../test/support/scripted-grants.js';
import {
  badCredentials,
  rateLimited,
  serverError,
  timeoutError,
} from '../../test/support/token-errors.js';
import { DEFAULT_TOKEN_WAIT_MS } from './waiting-callers.js';

// Callers without a token wait for a token request that is due soon, rather than fail with the last error: a blip
// costs them a short wait, and EnKash still sees one request per attempt, at the usual spacing.

/** Settles `promise` into what it came to, so that a test can look at it while fake time stands still. */
function track<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const outcome: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(outcome, { value, settled: true }),
    (error: unknown) => Object.assign(outcome, { error, settled: true }),
  );
  return outcome;
}

describe('TokenEngine: callers waiting for a token', () => {
  useEngineTiming();

  describe('when the first token request fails for a reason that may pass', () => {
    it('has the caller wait for the background retry and get its token', async () => {
      grants.answers.password.push(serverError());
      const first = track(engine.getAccessToken());
      await flush();
      expect(grants.calls).toHaveLength(1);
      expect(first.settled).toBe(false);

      await advance(1_000); // the background retry: within a second
      expect(first).toMatchObject({ settled: true, value: 'access-1' });
      expect(grants.count('password')).toBe(2);
    });

    it('has a burst of later callers wait for the same retry: one request per attempt', async () => {
      grants.answers.password.push(serverError());
      const first = track(engine.getAccessToken());
      await flush();
      const burst = Array.from({ length: 100 }, () => track(engine.getAccessToken()));
      await flush();
      expect(grants.calls).toHaveLength(1);

      await advance(1_000);
      expect(first.value).toBe('access-1');
      expect(burst.every((caller) => caller.value === 'access-1')).toBe(true);
      expect(grants.calls).toHaveLength(2);
    });

    it('keeps waiting through further failures while the next retry is due within the wait', async () => {
      grants.answers.password.push(serverError(), serverError());
      const caller = track(engine.getAccessToken());
      await advance(1_000); // retry 1 fails; retry 2 is due 2 s later
      expect(caller.settled).toBe(false);
      await advance(2_000);
      expect(caller.value).toBe('access-1');
      expect(grants.calls).toHaveLength(3);
    });

    it('gets the failure when the next retry is due after the wait ends, without a request', async () => {
      grants.answers.password.push(rateLimited(60_000));
      const caller = track(engine.getAccessToken());
      await flush();
      expect(caller.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 60_000 });
      expect(grants.calls).toHaveLength(1);
      // A later caller too, at once: the retry honours Retry-After.
      await expect(engine.getAccessToken()).rejects.toMatchObject({ code: 'rate_limited' });
      expect(grants.calls).toHaveLength(1);
    });

    it('waits out a Retry-After within the wait, and no longer than it asked', async () => {
      grants.answers.password.push(rateLimited(3_000));
      const caller = track(engine.getAccessToken());
      await advance(2_999);
      expect(caller.settled).toBe(false);
      expect(grants.calls).toHaveLength(1);
      await advance(1);
      expect(caller.value).toBe('access-1');
      expect(grants.calls).toHaveLength(2);
    });

    it('waits as long as waitMs says, by default five seconds', async () => {
      expect(DEFAULT_TOKEN_WAIT_MS).toBe(5_000);
      grants.answers.password.push(rateLimited(5_001));
      await expect(engine.getAccessToken()).rejects.toMatchObject({ code: 'rate_limited' });
      const patient = track(engine.getAccessToken({ waitMs: 6_000 }));
      await advance(5_001);
      expect(patient.value).toBe('access-1');
    });

    it('gets the failure at once with waitMs 0', async () => {
      grants.answers.password.push(serverError());
      await expect(engine.getAccessToken(NO_WAIT)).rejects.toMatchObject({ code: 'server_error' });
      await expect(engine.getAccessToken(NO_WAIT)).rejects.toMatchObject({ code: 'server_error' });
      expect(grants.calls).toHaveLength(1);
    });

    it('has the retry come at the end of the on-demand spacing for a caller who waits, not later', async () => {
      grants.answers.password.push(serverError(), serverError(), serverError(), serverError());
      await expect(engine.getAccessToken(NO_WAIT)).rejects.toThrow(EnkashAuthError);
      await advance(1_000 + 2_000 + 4_000); // three background retries; the backoff is now 8 s, the spacing 5 s
      expect(grants.calls).toHaveLength(4);

      const caller = track(engine.getAccessToken());
      await advance(4_999);
      expect(grants.calls).toHaveLength(4);
      await advance(1);
      expect(caller.value).toBe('access-1');
      expect(grants.calls).toHaveLength(5);
    });
  });

  describe('patience', () => {
    it('counts from each failure: a caller who waited through a hang of tokenRequestTimeoutMs gets the retry', async () => {
      // The scripted endpoint answers the first request only after 10 s, as a hang the token client gives up on.
      grants.latencyMs = 10_000;
      grants.answers.password.push(timeoutError());
      const caller = track(engine.getAccessToken());
      await advance(10_000);
      expect(caller.settled).toBe(false);
      grants.latencyMs = 0;
      await advance(1_000);
      expect(caller.value).toBe('access-1');
      expect(grants.calls).toHaveLength(2);
    });

    it('is spent waiting between requests: in an outage the caller gets the failure once the waits add up to more', async () => {
      grants.answers.password.push(...Array.from({ length: 10 }, serverError));
      const caller = track(engine.getAccessToken());
      // Waits of 1 s and 2 s after the first two failures; after the third, 4 s more would make 7 s of the 5 s.
      await advance(2_999);
      expect(caller.settled).toBe(false);
      await advance(1);
      expect(caller.error).toMatchObject({ code: 'server_error' });
      expect(grants.calls).toHaveLength(3);
    });

    it('has the retry come at the end of the on-demand spacing for callers already waiting, not at the backoff', async () => {
      grants.answers.password.push(serverError(), serverError(), serverError(), serverError());
      const caller = track(engine.getAccessToken({ waitMs: Number.POSITIVE_INFINITY }));
      await advance(1_000 + 2_000 + 4_000); // retries 1 to 3; the fourth failure's backoff is 8 s, its spacing 5 s
      expect(grants.calls).toHaveLength(4);
      await advance(4_999);
      expect(grants.calls).toHaveLength(4);
      await advance(1);
      expect(caller.value).toBe('access-1');
      expect(grants.calls).toHaveLength(5);
    });

    it('does not hold a caller for a request that waits out a Retry-After beyond its patience', async () => {
      grants.answers.password.push(token(600, 'access-a'));
      grants.answers.refresh_token.push(rateLimited(120_000));
      await engine.getAccessToken();
      await advance(renewalAfterMs(600)); // the renewal meets a 429 asking for two minutes
      engine.invalidate('access-a'); // ...and EnKash refuses the token: its password grant waits for the two minutes

      await expect(engine.getAccessToken()).rejects.toMatchObject({ code: 'rate_limited' });
      const patient = track(engine.getAccessToken({ waitMs: 130_000 }));
      await advance(120_000);
      expect(patient.value).toBe('access-1');
      expect(grants.calls.map((call) => call.grant)).toEqual([
        'password',
        'refresh_token',
        'password',
      ]);
    });
  });

  describe('when no wait can help', () => {
    it('rejects at once on bad credentials, after exactly one login, however long callers would wait', async () => {
      grants.answers.password.push(badCredentials());
      const callers = Array.from({ length: 5 }, () =>
        track(engine.getAccessToken({ waitMs: 60_000 })),
      );
      await flush();
      for (const caller of callers)
        expect(caller.error).toMatchObject({ code: 'invalid_credentials' });
      await expect(engine.getAccessToken({ waitMs: 60_000 })).rejects.toMatchObject({
        code: 'invalid_credentials',
      });
      await advance(60_000);
      expect(grants.calls).toHaveLength(1);
    });

    it('rejects a wrong waitMs with a config error, sending nothing, whether a token is held or not', async () => {
      for (const waitMs of [-1, Number.NaN, '5000' as unknown as number]) {
        await expect(engine.getAccessToken({ waitMs })).rejects.toMatchObject({
          name: 'EnkashAuthError',
          code: 'config',
          message: expect.stringContaining('waitMs'),
        });
      }
      expect(grants.calls).toHaveLength(0);
      await engine.getAccessToken();
      await expect(engine.getAccessToken({ waitMs: -1 })).rejects.toMatchObject({ code: 'config' });
    });
  });

  describe('a caller that stops waiting', () => {
    it('leaves when its signal aborts, with the signal reason', async () => {
      grants.answers.password.push(serverError());
      const controller = new AbortController();
      const caller = track(engine.getAccessToken({ signal: controller.signal }));
      await flush();
      const reason = new Error('the client went away');
      controller.abort(reason);
      await flush();
      expect(caller.error).toBe(reason);
      await advance(1_000);
      expect(grants.calls).toHaveLength(2); // the background retry goes on, for later callers
    });

    it('is rejected when the engine closes', async () => {
      grants.answers.password.push(serverError());
      const caller = track(engine.getAccessToken());
      await flush();
      engine.close();
      await flush();
      expect(caller.error).toMatchObject({
        code: 'network',
        message: expect.stringContaining('shut'),
      });
      await advance(10_000);
      expect(grants.calls).toHaveLength(1);
    });
  });

  describe('when the refresh grant keeps failing and no valid token is held', () => {
    it('follows it with the password grant, and uses the refresh grant again after the next token', async () => {
      grants.answers.password.push(token(600, 'access-a'), token(600, 'access-b'));
      grants.answers.refresh_token.push(...Array.from({ length: 10 }, serverError));
      await engine.getAccessToken();

      // The renewal (540 s in) fails, and so do its retries. After the sixth failure (571 s) the next retry would come
      // after the token's last handed-out moment (595 s): the next attempts use the password grant.
      await advance(renewalAfterMs(600));
      await advance(1_000 + 2_000 + 4_000 + 8_000 + 16_000);
      expect(grants.calls.map((call) => call.grant)).toEqual([
        'password',
        ...Array.from({ length: 6 }, () => 'refresh_token'),
      ]);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining(
          'The refresh grant failed (server_error) and no valid token is held',
        ),
      );
      expect(engine.currentToken()).toBe('access-a');

      // Once the token is no longer handed out, a caller's request is the password grant.
      await advance(25_000);
      expect(engine.currentToken()).toBeUndefined();
      expect(await engine.getAccessToken()).toBe('access-b');
      expect(grants.calls.at(-1)?.grant).toBe('password');

      // The next renewal is a refresh grant again.
      await advance(renewalAfterMs(600));
      expect(grants.calls.at(-1)?.grant).toBe('refresh_token');
    });

    it('keeps the refresh grant when EnKash already refused the password: no failed login is spent on a blip', async () => {
      const alone = engineChecking();
      grants.answers.password.push(token(600, 'access-a'), badCredentials());
      grants.answers.refresh_token.push(...Array.from({ length: 6 }, serverError));
      await alone.getAccessToken();

      // The check before the renewal meets the rotated password; the refresh grant then fails, and keeps failing past
      // the token's last handed-out moment.
      await advance(renewalAfterMs(600));
      await advance(1_000 + 2_000 + 4_000 + 8_000 + 16_000 + 32_000 + 60_000);
      expect(grants.count('password')).toBe(2);
      expect(alone.getStatus().state).not.toBe('locked_out');
      expect(grants.calls.at(-1)?.grant).toBe('refresh_token');
    });

    it('never sends the refresh grant of a token EnKash refused, even when its retry fails', async () => {
      grants.answers.password.push(token(600, 'access-a'), serverError(), token(600, 'access-c'));
      grants.answers.refresh_token.push(...Array.from({ length: 10 }, serverError));
      await engine.getAccessToken();
      // EnKash refuses the token; the password grant that follows fails once.
      engine.invalidate('access-a');
      const caller = track(engine.getAccessToken());
      await advance(1_000);
      // The retry is the password grant again, never the refresh grant of the refused token.
      await advance(1_000);
      expect(caller.value).toBe('access-c');
      expect(grants.calls.map((call) => call.grant)).toEqual(['password', 'password', 'password']);
    });
  });
});
