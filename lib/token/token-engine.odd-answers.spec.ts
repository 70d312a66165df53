import { describe, expect, it, jest } from '@jest/globals';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { MAX_TIMER_DELAY_MS } from './renewal-policy.js';
import { advance, renewalAfterMs, useEngineTiming } from '../../test/support/engine-timing.js';
import { engine, grants, logger } from '../../test/support/engine-timing.js';
import { answerWithExpiresIn, NO_WAIT, token } from '../../test/support/scripted-grants.js';

// The token engine's timing when EnKash answers odd lifetimes: a token in its last second, and odd expires_in values.

describe('TokenEngine timing', () => {
  useEngineTiming();

  describe('when the password grant answers a token in its last second', () => {
    it('waits for it to expire and asks again when the refresh token is refused', async () => {
      grants.answers.password.push(token(0, 'dying'), token(86_399, 'fresh'));
      grants.answers.refresh_token.push(
        new EnkashAuthError('invalid_credentials', 'refresh token expired', {
          status: 401,
          oauthError: 'invalid_token',
          grantType: 'refresh_token',
        }),
      );
      const pending = engine.getAccessToken();
      await advance(999);
      expect(grants.calls.map((call) => call.grant)).toEqual(['password', 'refresh_token']);
      await advance(1);
      expect(await pending).toBe('fresh');
      expect(grants.calls.map((call) => call.grant)).toEqual([
        'password',
        'refresh_token',
        'password',
      ]);
      expect(engine.getStatus().state).toBe('valid');
    });
  });

  it('replaces a token answered in its last second with the refresh grant at once', async () => {
    grants.answers.password.push(token(0, 'dying'));
    grants.answers.refresh_token.push(token(86_399, 'fresh'));
    expect(await engine.getAccessToken()).toBe('fresh');
    expect(grants.calls.map((call) => call.grant)).toEqual(['password', 'refresh_token']);
  });

  it('backs off instead of renewing in a loop when the refresh grant answers expires_in 0', async () => {
    grants.answers.password.push(token(600, 'access-a'));
    grants.answers.refresh_token.push(
      token(0, 'dying-1'),
      token(0, 'dying-2'),
      token(0, 'dying-3'),
    );
    await engine.getAccessToken();
    await advance(renewalAfterMs(600));
    expect(grants.count('refresh_token')).toBe(1);
    expect(engine.getStatus()).toMatchObject({
      lastErrorCode: 'malformed_response',
      consecutiveFailures: 1,
    });
    await advance(999);
    expect(grants.count('refresh_token')).toBe(1);
    await advance(1);
    expect(grants.count('refresh_token')).toBe(2);
    expect(await engine.getAccessToken()).toBe('access-a');
  });

  describe('when EnKash answers an odd expires_in', () => {
    const TEN_MINUTES_MS = 10 * 60_000;
    const YEAR_MS = 365 * 24 * 3600_000;

    /** Seconds between the starts of consecutive attempts, an attempt being a password grant. */
    function secondsBetweenAttempts(): number[] {
      const starts = grants.calls.flatMap((call, index) =>
        call.grant === 'password' ? [grants.sentAt[index] ?? 0] : [],
      );
      return starts.slice(1).map((start, index) => (start - (starts[index] ?? 0)) / 1000);
    }

    const warnings = (): string => logger.warn.mock.calls.map(([line]) => String(line)).join('\n');

    it('backs off, never storms, when every answer says expires_in 0', async () => {
      const dying = answerWithExpiresIn('0');
      grants.answers.password.push(...Array.from({ length: 50 }, () => dying));
      grants.answers.refresh_token.push(...Array.from({ length: 50 }, () => dying));

      const first = engine.getAccessToken(NO_WAIT);
      await expect(first).rejects.toMatchObject({ code: 'malformed_response', retryable: true });
      await expect(first).rejects.toThrow('expires_in below one second');
      await advance(TEN_MINUTES_MS);

      // Each attempt is the password grant and one refresh grant that could replace the dying token; then the
      // backoff: 1, 2, 4 ... 60 s (random() = 1 gives its upper bound).
      expect(secondsBetweenAttempts()).toEqual([
        1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60, 60,
      ]);
      expect(grants.calls).toHaveLength(30);
      expect(engine.getStatus()).toMatchObject({
        state: 'retrying',
        expiresAt: null,
        lastErrorCode: 'malformed_response',
        consecutiveFailures: 15,
      });
      expect(warnings()).toContain('with expires_in below one second');
    });

    it.each(['-1', '-1e400', '"abc"', '""', 'true'])(
      'backs off, never storms, when every answer says expires_in %s',
      async (expiresIn) => {
        const refused = answerWithExpiresIn(expiresIn);
        grants.answers.password.push(...Array.from({ length: 50 }, () => refused));

        await expect(engine.getAccessToken(NO_WAIT)).rejects.toMatchObject({
          code: 'malformed_response',
          message: expect.stringContaining('an invalid expires_in'),
        });
        await advance(TEN_MINUTES_MS);

        expect(secondsBetweenAttempts()).toEqual([
          1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60, 60,
        ]);
        expect(grants.calls).toHaveLength(15);
        expect(engine.getStatus().expiresAt).toBeNull();
        expect(warnings()).toContain('an invalid expires_in (not a non-negative number)');
      },
    );

    it('sends at most one request per 5 s when callers keep asking for a token with expires_in -1', async () => {
      const refused = answerWithExpiresIn('-1');
      grants.answers.password.push(...Array.from({ length: 500 }, () => refused));
      for (let second = 0; second < TEN_MINUTES_MS / 1000; second += 1) {
        await expect(engine.getAccessToken(NO_WAIT)).rejects.toMatchObject({
          code: 'malformed_response',
        });
        await advance(1_000);
      }
      expect(grants.calls.length).toBeLessThanOrEqual(TEN_MINUTES_MS / 5_000 + 5);
      expect(Math.min(...secondsBetweenAttempts().slice(4))).toBeGreaterThanOrEqual(5);
    });

    it.each(['1e12', '1e400'])(
      "caps expires_in %s at a year: one timer, chained within setTimeout's range, never early",
      async (expiresIn) => {
        grants.answers.password.push(answerWithExpiresIn(expiresIn, 'long-lived'));
        const setTimeoutSpy = jest.spyOn(globalThis, 'setTimeout');
        const obtainedAt = Date.now();

        expect(await engine.getAccessToken()).toBe('long-lived');
        const status = engine.getStatus();
        expect(status.expiresAt?.getTime()).toBe(obtainedAt + YEAR_MS);
        expect(status.nextRenewalAt?.getTime()).toBe(obtainedAt + YEAR_MS - 300_000);
        expect(warnings()).toContain(
          "EnKash's token answer had an expires_in beyond the 365-day limit",
        );

        await advance(3_600_000);
        expect(grants.calls).toHaveLength(1);
        expect(engine.currentToken()).toBe('long-lived');
        expect(jest.getTimerCount()).toBe(1);

        await advance(YEAR_MS - 300_000 - 3_600_000 - 1);
        expect(grants.calls).toHaveLength(1);
        await advance(1);
        expect(grants.calls).toEqual([
          { grant: 'password' },
          { grant: 'refresh_token', refreshToken: 'refresh-odd' },
        ]);
        const delays = setTimeoutSpy.mock.calls.map(([, delay]) => Number(delay ?? 0));
        expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
        // Chained: a year takes 15 hops of at most 2^31−1 ms, not one overflowing timer that fires at once.
        expect(delays.length).toBeGreaterThanOrEqual(Math.ceil(YEAR_MS / MAX_TIMER_DELAY_MS));
        setTimeoutSpy.mockRestore();
      },
    );

    it('assumes 5 minutes when expires_in is missing, says so, and renews 30 s before it ends', async () => {
      const unannounced = answerWithExpiresIn(undefined);
      grants.answers.password.push(unannounced);
      grants.answers.refresh_token.push(...Array.from({ length: 10 }, () => unannounced));
      const obtainedAt = Date.now();

      expect(await engine.getAccessToken()).toBe('odd');
      expect(engine.getStatus().expiresAt?.getTime()).toBe(obtainedAt + 300_000);
      expect(engine.getStatus().nextRenewalAt?.getTime()).toBe(obtainedAt + 270_000);
      expect(warnings()).toContain("EnKash's token answer had no expires_in; assuming 300 s");

      await advance(TEN_MINUTES_MS);
      expect(grants.count('refresh_token')).toBe(2); // at 4.5 and 9 minutes
      expect(engine.currentToken()).toBe('odd');
    });
  });
});
