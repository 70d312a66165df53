import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { resolveEnkashAuthOptions } from '../enkash-auth.options.js';
import { MAX_TIMER_DELAY_MS } from './renewal-policy.js';
import { RenewalTimer } from './renewal-timer.js';
import { interpretTokenAnswer } from './token-answer.js';
import type { TokenGrantClient } from './token-engine.js';
import { TokenEngine } from './token-engine.js';
import { UNIT_REGISTRATION } from '../../test/support/unit-options.js';
import { badCredentials, rateLimited, serverError } from '../../test/support/token-errors.js';
import type { TokenSet } from './token-set.js';

type Answer = TokenSet | EnkashAuthError;

/** A token endpoint stand-in for timing tests: answers from a queue, after `latencyMs` of fake time. */
class ScriptedGrants implements TokenGrantClient {
  readonly calls: Array<{ grant: 'password' | 'refresh_token'; refreshToken?: string }> = [];
  /** `Date.now()` (fake time) of each call, in order. */
  readonly sentAt: number[] = [];
  readonly answers: { password: Answer[]; refresh_token: Answer[] } = {
    password: [],
    refresh_token: [],
  };
  closed = false;
  latencyMs = 0;
  private issued = 0;

  requestPasswordGrant(): Promise<TokenSet> {
    this.calls.push({ grant: 'password' });
    this.sentAt.push(Date.now());
    return this.answer(this.answers.password.shift());
  }

  requestRefreshGrant(refreshToken: string): Promise<TokenSet> {
    this.calls.push({ grant: 'refresh_token', refreshToken });
    this.sentAt.push(Date.now());
    return this.answer(this.answers.refresh_token.shift());
  }

  close(): void {
    this.closed = true;
  }

  count(grant: 'password' | 'refresh_token'): number {
    return this.calls.filter((call) => call.grant === grant).length;
  }

  private answer(answer: Answer | undefined): Promise<TokenSet> {
    const result = answer ?? token(86_399, `access-${++this.issued}`);
    return new Promise((resolve, reject) => {
      const settle = (): void =>
        result instanceof EnkashAuthError ? reject(result) : resolve(result);
      if (this.latencyMs > 0) setTimeout(settle, this.latencyMs);
      else settle();
    });
  }
}

function token(
  expiresInSeconds: number,
  accessToken = 'access-x',
  refreshToken = 'refresh-1',
): TokenSet {
  return { accessToken, refreshToken, lifetimeMs: expiresInSeconds * 1000, lifetimeAssumed: false };
}

/**
 * What the token client makes of a 200 answer whose `expires_in` is the given JSON text (omitted when `undefined`):
 * the token set, or the error it throws.
 */
function answerWithExpiresIn(expiresInJson: string | undefined, accessToken = 'odd'): Answer {
  const body =
    `{"access_token":"${accessToken}","token_type":"bearer","refresh_token":"refresh-odd"` +
    (expiresInJson === undefined ? '' : `,"expires_in":${expiresInJson}`) +
    '}';
  try {
    return interpretTokenAnswer(
      { status: 200, body, retryAfter: undefined },
      'password',
      'https://ekpayout-uat.enkash.in/oauth/token',
      [],
    );
  } catch (error) {
    if (error instanceof EnkashAuthError) return error;
    throw error;
  }
}

describe('TokenEngine timing', () => {
  let grants: ScriptedGrants;
  let registry: SchedulerRegistry;
  let manager: TokenEngine;
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };

  function createManager(refreshBeforeExpirySeconds = 300): TokenEngine {
    const options = resolveEnkashAuthOptions({
      ...UNIT_REGISTRATION,
      refreshBeforeExpirySeconds,
      // A lone instance's timing, to the millisecond: no check with EnKash before a refresh grant, no jitter.
      serverTokenCheck: 'never',
    });
    return new TokenEngine({
      options,
      client: grants,
      timer: new RenewalTimer(registry, 'enkash-auth:token-renewal'),
      logger,
      random: () => 1,
      renewalJitter: () => 0,
    });
  }

  /** Lets promise callbacks run between fake-timer steps. */
  async function flush(): Promise<void> {
    for (let i = 0; i < 10; i += 1) await Promise.resolve();
  }

  async function advance(ms: number): Promise<void> {
    await jest.advanceTimersByTimeAsync(ms);
    await flush();
  }

  beforeEach(() => {
    jest.useFakeTimers();
    grants = new ScriptedGrants();
    registry = new SchedulerRegistry();
    logger.log.mockReset();
    logger.warn.mockReset();
    logger.error.mockReset();
    manager = createManager();
  });

  afterEach(() => {
    manager.close();
    jest.useRealTimers();
  });

  it('renews the token with the refresh grant 5 minutes before expiry', async () => {
    await manager.getAccessToken();
    expect(registry.getTimeouts()).toEqual(['enkash-auth:token-renewal']);

    await advance((86_399 - 300) * 1000 - 1);
    expect(grants.count('refresh_token')).toBe(0);

    await advance(1);
    expect(grants.calls).toEqual([
      { grant: 'password' },
      { grant: 'refresh_token', refreshToken: 'refresh-1' },
    ]);
    expect(await manager.getAccessToken()).toBe('access-2');
  });

  describe('while a refresh grant is under way', () => {
    it('has callers wait for the new token, since EnKash may already have revoked the held one', async () => {
      grants.answers.password.push(token(600, 'old'));
      grants.answers.refresh_token.push(token(600, 'new'));
      await manager.getAccessToken();
      grants.latencyMs = 200;
      await advance(300_000); // the renewal is sent
      expect(grants.count('refresh_token')).toBe(1);
      expect(manager.readyToken()).toBeUndefined();
      expect(manager.currentToken()).toBe('old');

      const during = manager.getAccessToken();
      await advance(200);
      expect(await during).toBe('new');
      expect(manager.readyToken()).toBe('new');
    });

    it('hands out the held token after a second when the token endpoint is slow', async () => {
      grants.answers.password.push(token(600, 'old'));
      await manager.getAccessToken();
      grants.latencyMs = 5_000;
      await advance(300_000);
      const during = manager.getAccessToken();
      let settled: string | undefined;
      void during.then((value) => (settled = value));
      await advance(999);
      expect(settled).toBeUndefined();
      await advance(1);
      expect(settled).toBe('old');
    });
  });

  it('counts the lifetime from when the request was sent, not from when the answer came', async () => {
    grants.latencyMs = 3_000;
    const first = manager.getAccessToken();
    await advance(3_000);
    await first;

    await advance((86_399 - 300) * 1000 - 3_000 - 1);
    expect(grants.count('refresh_token')).toBe(0);
    await advance(1);
    expect(grants.count('refresh_token')).toBe(1);
  });

  it('never renews earlier than half the lifetime of a short-lived token', async () => {
    grants.answers.password.push(token(4));
    grants.answers.refresh_token.push(token(4, 'access-b'), token(4, 'access-c'));
    await manager.getAccessToken();

    await advance(1_999);
    expect(grants.count('refresh_token')).toBe(0);
    await advance(1);
    expect(grants.count('refresh_token')).toBe(1);

    // One renewal per half-lifetime, not a storm.
    await advance(2_000);
    expect(grants.count('refresh_token')).toBe(2);
  });

  it('does not fire early when the renewal is further away than setTimeout can wait', async () => {
    grants.answers.password.push(token(60 * 24 * 3600)); // 60 days
    await manager.getAccessToken();

    await advance(2 ** 31 - 1); // ~24.8 days
    expect(grants.count('refresh_token')).toBe(0);
    await advance(60 * 24 * 3600 * 1000 - 300_000 - (2 ** 31 - 1) - 1);
    expect(grants.count('refresh_token')).toBe(0);
    await advance(1);
    expect(grants.count('refresh_token')).toBe(1);
  });

  it('shares one token request among 100 concurrent cold callers', async () => {
    grants.latencyMs = 50;
    const callers = Array.from({ length: 100 }, () => manager.getAccessToken());
    await advance(50);
    const tokens = await Promise.all(callers);
    expect(new Set(tokens)).toEqual(new Set(['access-1']));
    expect(grants.calls).toHaveLength(1);
  });

  describe('when a renewal fails with a transient error', () => {
    it('keeps handing out the still-valid token and retries with growing backoff', async () => {
      grants.answers.password.push(token(600, 'access-a'));
      grants.answers.refresh_token.push(serverError(), serverError(), serverError());
      await manager.getAccessToken();

      await advance(300_000); // the renewal fires and fails
      expect(grants.count('refresh_token')).toBe(1);
      expect(await manager.getAccessToken()).toBe('access-a');
      expect(manager.getStatus()).toMatchObject({
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
      expect(manager.getStatus()).toMatchObject({
        state: 'valid',
        consecutiveFailures: 0,
        lastErrorCode: null,
      });
      expect(await manager.getAccessToken()).not.toBe('access-a');
    });

    it('caps the backoff at one minute', async () => {
      grants.answers.password.push(token(7_200, 'access-a'));
      grants.answers.refresh_token.push(...Array.from({ length: 12 }, serverError));
      await manager.getAccessToken();
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
      await manager.getAccessToken();
      await advance(300_000);
      await advance(29_999);
      expect(grants.count('refresh_token')).toBe(1);
      await advance(1);
      expect(grants.count('refresh_token')).toBe(2);
    });
  });

  describe('when no valid token is held and EnKash keeps failing', () => {
    it('rejects promptly with a retryable error and never sends more than one request a second', async () => {
      grants.answers.password.push(...Array.from({ length: 20 }, serverError));
      await expect(manager.getAccessToken()).rejects.toMatchObject({
        code: 'server_error',
        retryable: true,
      });
      for (let i = 0; i < 50; i += 1) {
        await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'server_error' });
      }
      expect(grants.calls).toHaveLength(1);

      await advance(1_000); // the background retry (1 s) and on-demand calls share one request a second
      await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'server_error' });
      expect(grants.calls).toHaveLength(2);
      expect(manager.getStatus().state).toBe('retrying');
    });

    it('makes a new request when a caller comes after the spacing, without waiting out the backoff', async () => {
      grants.answers.password.push(serverError(), serverError(), serverError(), serverError());
      await expect(manager.getAccessToken()).rejects.toThrow(EnkashAuthError); // t = 0
      await advance(1_000); // background retry #1
      await advance(2_000); // background retry #2
      await advance(4_000); // background retry #3: the backoff is now 8 s, the on-demand spacing 5 s
      expect(grants.calls).toHaveLength(4);

      await advance(4_999);
      await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'server_error' });
      expect(grants.calls).toHaveLength(4);
      await advance(1); // EnKash is back; the caller does not wait for the retry due 3 s later
      expect(await manager.getAccessToken()).toMatch(/^access-/);
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
        await manager.getAccessToken();
        await advance(300_000);
        expect(grants.calls.map((call) => call.grant)).toEqual([
          'password',
          'refresh_token',
          'password',
        ]);
        expect(manager.getStatus().state).toBe('valid');
        expect(await manager.getAccessToken()).toBe('access-b');
        // The next renewal uses the new refresh token.
        await advance(300_000);
        expect(grants.calls[3]).toEqual({ grant: 'refresh_token', refreshToken: 'refresh-2' });
      },
    );
  });

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
      const pending = manager.getAccessToken();
      await advance(999);
      expect(grants.calls.map((call) => call.grant)).toEqual(['password', 'refresh_token']);
      await advance(1);
      expect(await pending).toBe('fresh');
      expect(grants.calls.map((call) => call.grant)).toEqual([
        'password',
        'refresh_token',
        'password',
      ]);
      expect(manager.getStatus().state).toBe('valid');
    });
  });

  describe('when EnKash rejects the credentials', () => {
    it('never retries on its own, and rejects at once until refresh() is called', async () => {
      grants.answers.password.push(badCredentials());
      await expect(manager.getAccessToken()).rejects.toMatchObject({
        code: 'invalid_credentials',
        retryable: false,
      });
      expect(logger.error).toHaveBeenCalledTimes(1);
      expect(String(logger.error.mock.calls[0]?.[0])).toMatch(
        /locks an account after 3 consecutive failed logins/,
      );

      for (let i = 0; i < 5; i += 1) {
        await expect(manager.getAccessToken()).rejects.toMatchObject({
          code: 'invalid_credentials',
        });
      }
      await advance(24 * 3600 * 1000);
      expect(grants.calls).toHaveLength(1);
      expect(manager.getStatus().state).toBe('locked_out');
      expect(registry.getTimeouts()).toEqual([]);
      expect(logger.error).toHaveBeenCalledTimes(1);

      await manager.refresh();
      expect(grants.calls).toHaveLength(2);
      expect(await manager.getAccessToken()).toBe('access-1');
      expect(manager.getStatus().state).toBe('valid');
    });
  });

  describe('when EnKash refuses the current token', () => {
    it('re-acquires with the password grant once for many concurrent refusals', async () => {
      const refused = await manager.getAccessToken();
      await advance(60_000);
      grants.latencyMs = 20;
      for (let i = 0; i < 50; i += 1) manager.invalidate(refused);
      const next = manager.getAccessToken();
      await advance(20);
      expect(await next).toBe('access-2');
      expect(grants.calls.map((call) => call.grant)).toEqual(['password', 'password']);

      manager.invalidate(refused); // a late 401 for the old token changes nothing
      expect(grants.calls).toHaveLength(2);
    });

    it('waits until a second after the previous request before re-acquiring a token refused at once', async () => {
      const first = await manager.getAccessToken();
      await advance(200);
      manager.invalidate(first);
      const second = manager.getAccessToken();
      await advance(799);
      expect(grants.calls).toHaveLength(1);
      await advance(1);
      expect(await second).toBe('access-2');

      await advance(5_000);
      manager.invalidate('access-2'); // refused long after it was obtained: re-acquired at once
      await flush();
      expect(grants.calls).toHaveLength(3);
    });

    it('stops re-acquiring, with a growing pause, when EnKash hands back the very token it refuses', async () => {
      grants.answers.password.push(
        token(86_399, 'same'),
        token(86_399, 'same'),
        token(86_399, 'same'),
      );
      await manager.getAccessToken();
      await advance(10_000);

      manager.invalidate('same'); // EnKash refused it; the token endpoint hands it back
      expect(await manager.getAccessToken()).toBe('same');
      expect(grants.calls).toHaveLength(2);

      for (let i = 0; i < 20; i += 1) manager.invalidate('same'); // within the 1 s pause: passed on to callers
      expect(manager.currentToken()).toBe('same');
      expect(grants.calls).toHaveLength(2);

      await advance(1_000);
      manager.invalidate('same');
      expect(await manager.getAccessToken()).toBe('same');
      expect(grants.calls).toHaveLength(3);
      await advance(1_999); // the pause doubled
      manager.invalidate('same');
      expect(grants.calls).toHaveLength(3);
      expect(logger.warn.mock.calls.map(([message]) => String(message)).join('\n')).toMatch(
        /the 401 is not about the token/,
      );
    });

    it('rejects callers waiting on a delayed re-acquisition when closed', async () => {
      manager.invalidate(await manager.getAccessToken());
      const waiting = manager.getAccessToken();
      manager.close();
      await expect(waiting).rejects.toMatchObject({ code: 'network' });
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  it('replaces a token answered in its last second with the refresh grant at once', async () => {
    grants.answers.password.push(token(0, 'dying'));
    grants.answers.refresh_token.push(token(86_399, 'fresh'));
    expect(await manager.getAccessToken()).toBe('fresh');
    expect(grants.calls.map((call) => call.grant)).toEqual(['password', 'refresh_token']);
  });

  it('backs off instead of renewing in a loop when the refresh grant answers expires_in 0', async () => {
    grants.answers.password.push(token(600, 'access-a'));
    grants.answers.refresh_token.push(
      token(0, 'dying-1'),
      token(0, 'dying-2'),
      token(0, 'dying-3'),
    );
    await manager.getAccessToken();
    await advance(300_000);
    expect(grants.count('refresh_token')).toBe(1);
    expect(manager.getStatus()).toMatchObject({
      lastErrorCode: 'malformed_response',
      consecutiveFailures: 1,
    });
    await advance(999);
    expect(grants.count('refresh_token')).toBe(1);
    await advance(1);
    expect(grants.count('refresh_token')).toBe(2);
    expect(await manager.getAccessToken()).toBe('access-a');
  });

  it('keeps a Retry-After when EnKash refuses a token', async () => {
    grants.answers.password.push(token(600, 'access-a'));
    grants.answers.refresh_token.push(rateLimited(60_000));
    await manager.getAccessToken();
    await advance(300_000); // the renewal meets a 429 asking for a minute
    manager.invalidate('access-a');
    await advance(59_999);
    expect(grants.calls).toHaveLength(2);
    await advance(1);
    expect(grants.calls.map((call) => call.grant)).toEqual([
      'password',
      'refresh_token',
      'password',
    ]);
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

      const first = manager.getAccessToken();
      await expect(first).rejects.toMatchObject({ code: 'malformed_response', retryable: true });
      await expect(first).rejects.toThrow('expires_in below one second');
      await advance(TEN_MINUTES_MS);

      // Each attempt is the password grant and one refresh grant that could replace the dying token; then the
      // backoff: 1, 2, 4 ... 60 s (random() = 1 gives its upper bound).
      expect(secondsBetweenAttempts()).toEqual([
        1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60, 60,
      ]);
      expect(grants.calls).toHaveLength(30);
      expect(manager.getStatus()).toMatchObject({
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

        await expect(manager.getAccessToken()).rejects.toMatchObject({
          code: 'malformed_response',
          message: expect.stringContaining('an invalid expires_in'),
        });
        await advance(TEN_MINUTES_MS);

        expect(secondsBetweenAttempts()).toEqual([
          1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60, 60,
        ]);
        expect(grants.calls).toHaveLength(15);
        expect(manager.getStatus().expiresAt).toBeNull();
        expect(warnings()).toContain('an invalid expires_in (not a non-negative number)');
      },
    );

    it('sends at most one request per 5 s when callers keep asking for a token with expires_in -1', async () => {
      const refused = answerWithExpiresIn('-1');
      grants.answers.password.push(...Array.from({ length: 500 }, () => refused));
      for (let second = 0; second < TEN_MINUTES_MS / 1000; second += 1) {
        await expect(manager.getAccessToken()).rejects.toMatchObject({
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

        expect(await manager.getAccessToken()).toBe('long-lived');
        const status = manager.getStatus();
        expect(status.expiresAt?.getTime()).toBe(obtainedAt + YEAR_MS);
        expect(status.nextRenewalAt?.getTime()).toBe(obtainedAt + YEAR_MS - 300_000);
        expect(warnings()).toContain(
          "EnKash's token answer had an expires_in beyond the 365-day limit",
        );

        await advance(3_600_000);
        expect(grants.calls).toHaveLength(1);
        expect(manager.currentToken()).toBe('long-lived');
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

    it('assumes 5 minutes when expires_in is missing, says so, and renews at half that', async () => {
      const unannounced = answerWithExpiresIn(undefined);
      grants.answers.password.push(unannounced);
      grants.answers.refresh_token.push(...Array.from({ length: 10 }, () => unannounced));
      const obtainedAt = Date.now();

      expect(await manager.getAccessToken()).toBe('odd');
      expect(manager.getStatus().expiresAt?.getTime()).toBe(obtainedAt + 300_000);
      expect(manager.getStatus().nextRenewalAt?.getTime()).toBe(obtainedAt + 150_000);
      expect(warnings()).toContain("EnKash's token answer had no expires_in; assuming 300 s");

      await advance(TEN_MINUTES_MS);
      expect(grants.count('refresh_token')).toBe(4); // at 2.5, 5, 7.5 and 10 minutes
      expect(manager.currentToken()).toBe('odd');
    });
  });

  it('clears its timer and rejects callers once closed', async () => {
    await manager.getAccessToken();
    expect(jest.getTimerCount()).toBe(1);
    manager.close();
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'network' });
    expect(jest.getTimerCount()).toBe(0);
    expect(registry.getTimeouts()).toEqual([]);
    expect(grants.closed).toBe(true);
    expect(manager.getStatus().state).toBe('closed');
  });
});
