import { describe, expect, it } from '@jest/globals';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { advance, renewalAfterMs, useEngineTiming } from '../../test/support/engine-timing.js';
import { engine, grants, logger, registry } from '../../test/support/engine-timing.js';
import { NO_WAIT, token } from '../../test/support/scripted-grants.js';
import { badCredentials, rateLimited, serverError } from '../../test/support/token-errors.js';

// The token engine's timing when EnKash fails: backoff, Retry-After, the spacing of on-demand requests, the
// password-grant fallback, and the lock-out.

describe('TokenEngine timing', () => {
  useEngineTiming();

  describe('when a renewal fails with a transient error', () => {
    it('keeps handing out the still-valid token and retries with growing backoff', async () => {
      grants.answers.password.push(token(600, 'access-a'));
      grants.answers.refresh_token.push(serverError(), serverError(), serverError());
      await engine.getAccessToken();

      await advance(renewalAfterMs(600)); // the renewal fires and fails
      expect(grants.count('refresh_token')).toBe(1);
      expect(await engine.getAccessToken()).toBe('access-a');
      expect(engine.getStatus()).toMatchObject({
        state: 'valid',
        consecutiveFailures: 1,
        lastErrorCode: 'server_error',
      });

      await advance(1_000); // first retry: within a second (random() = 1 gives the upper bound)
      expect(grants.count('refresh_token')).toBe(2);
      await advance(1_999);
      expect(grants.count('refresh_token')).toBe(2);
      await advance(1); // second retry: 2 s later
      expect(grants.count('refresh_token')).toBe(3);
      await advance(4_000); // third retry: 4 s later, and it succeeds
      expect(grants.count('refresh_token')).toBe(4);
      expect(engine.getStatus()).toMatchObject({
        state: 'valid',
        consecutiveFailures: 0,
        lastErrorCode: null,
      });
      expect(await engine.getAccessToken()).not.toBe('access-a');
    });

    it('caps the backoff at one minute', async () => {
      grants.answers.password.push(token(7_200, 'access-a'));
      grants.answers.refresh_token.push(...Array.from({ length: 12 }, serverError));
      await engine.getAccessToken();
      await advance(6_900_000); // the renewal fires
      const delays = [1, 2, 4, 8, 16, 32, 60, 60, 60];
      for (const delay of delays) await advance(delay * 1000);
      expect(grants.count('refresh_token')).toBe(1 + delays.length);
      await advance(59_999);
      expect(grants.count('refresh_token')).toBe(1 + delays.length);
    });

    it("honours a 429's Retry-After before trying again", async () => {
      grants.answers.password.push(token(600, 'access-a'));
      grants.answers.refresh_token.push(rateLimited(30_000));
      await engine.getAccessToken();
      await advance(renewalAfterMs(600));
      await advance(29_999);
      expect(grants.count('refresh_token')).toBe(1);
      await advance(1);
      expect(grants.count('refresh_token')).toBe(2);
    });
  });

  describe('when no valid token is held and EnKash keeps failing, for callers who do not wait', () => {
    it('rejects promptly with a retryable error and never sends more than one request a second', async () => {
      grants.answers.password.push(...Array.from({ length: 20 }, serverError));
      await expect(engine.getAccessToken(NO_WAIT)).rejects.toMatchObject({
        code: 'server_error',
        retryable: true,
      });
      for (let i = 0; i < 50; i += 1) {
        await expect(engine.getAccessToken(NO_WAIT)).rejects.toMatchObject({
          code: 'server_error',
        });
      }
      expect(grants.calls).toHaveLength(1);

      await advance(1_000); // the background retry (1 s) and on-demand calls share one request a second
      await expect(engine.getAccessToken(NO_WAIT)).rejects.toMatchObject({ code: 'server_error' });
      expect(grants.calls).toHaveLength(2);
      expect(engine.getStatus().state).toBe('retrying');
    });

    it('makes a new request when a caller comes after the spacing, without waiting out the backoff', async () => {
      grants.answers.password.push(serverError(), serverError(), serverError(), serverError());
      await expect(engine.getAccessToken(NO_WAIT)).rejects.toThrow(EnkashAuthError); // t = 0
      await advance(1_000); // background retry #1
      await advance(2_000); // background retry #2
      await advance(4_000); // background retry #3: the backoff is now 8 s, the on-demand spacing 5 s
      expect(grants.calls).toHaveLength(4);

      await advance(4_999);
      await expect(engine.getAccessToken(NO_WAIT)).rejects.toMatchObject({ code: 'server_error' });
      expect(grants.calls).toHaveLength(4);
      await advance(1); // EnKash is back; the caller does not wait for the retry due 3 s later
      expect(await engine.getAccessToken()).toMatch(/^access-/);
      expect(grants.calls).toHaveLength(5);
    });
  });

  describe('when EnKash does not honour the refresh grant', () => {
    it.each([
      ['invalid_credentials', 'invalid_grant', 400],
      ['invalid_credentials', 'invalid_token', 401],
      ['config', 'unsupported_grant_type', 400],
      ['invalid_client', 'invalid_client', 401],
    ] as const)(
      'falls back to the password grant once on %s (%s), never locking out',
      async (code, oauthError, status) => {
        grants.answers.password.push(token(600, 'access-a'));
        grants.answers.refresh_token.push(
          new EnkashAuthError(code, 'refresh grant refused', {
            status,
            oauthError,
            grantType: 'refresh_token',
          }),
        );
        grants.answers.password.push(token(600, 'access-b', 'refresh-2'));
        await engine.getAccessToken();
        await advance(renewalAfterMs(600));
        expect(grants.calls.map((call) => call.grant)).toEqual([
          'password',
          'refresh_token',
          'password',
        ]);
        expect(engine.getStatus().state).toBe('valid');
        expect(await engine.getAccessToken()).toBe('access-b');
        // The next renewal uses the new refresh token.
        await advance(renewalAfterMs(600));
        expect(grants.calls[3]).toEqual({ grant: 'refresh_token', refreshToken: 'refresh-2' });
      },
    );
  });

  describe('when EnKash rejects the credentials', () => {
    it('never retries on its own, and rejects at once until refresh() is called', async () => {
      grants.answers.password.push(badCredentials());
      await expect(engine.getAccessToken()).rejects.toMatchObject({
        code: 'invalid_credentials',
        retryable: false,
      });
      expect(logger.error).toHaveBeenCalledTimes(1);
      expect(String(logger.error.mock.calls[0]?.[0])).toMatch(
        /locks an account after 3 consecutive failed logins/,
      );

      for (let i = 0; i < 5; i += 1) {
        await expect(engine.getAccessToken()).rejects.toMatchObject({
          code: 'invalid_credentials',
        });
      }
      await advance(24 * 3600 * 1000);
      expect(grants.calls).toHaveLength(1);
      expect(engine.getStatus().state).toBe('locked_out');
      expect(registry.getTimeouts()).toEqual([]);
      expect(logger.error).toHaveBeenCalledTimes(1);

      await engine.refresh();
      expect(grants.calls).toHaveLength(2);
      expect(await engine.getAccessToken()).toBe('access-1');
      expect(engine.getStatus().state).toBe('valid');
    });
  });
});
