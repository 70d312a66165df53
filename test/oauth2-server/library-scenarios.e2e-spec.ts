// The library's main scenarios against a real, independent OAuth2 server: django-oauth-toolkit 1.7 with the password
// and refresh grants, client_secret_basic, refresh-token rotation and RFC 7009 revocation (see
// server-behaviour.e2e-spec.ts for what the server itself does). Each test has its own server and application, and
// counts what a user would notice: failed calls, their errors' codes, and the token requests the server received.
import { describe, expect, it } from '@jest/globals';
import { EnkashAuthError, EnkashHttpError } from '../../lib/index.js';
import {
  OAUTH2_ADMIN_PATH,
  OAUTH2_BALANCE_403_PATH,
  OAUTH2_BALANCE_PATH,
  tokenRequestsOf,
} from '../support/oauth2-server.js';
import type { OAuth2ServerStats } from '../support/oauth2-server.js';
import { sleep } from '../support/waiting.js';
import { closeOAuth2BedsAfterEach, startOAuth2Bed } from './oauth2-bed.js';
import type { CallOutcome, OAuth2Bed } from './oauth2-bed.js';

/** The failed outcomes, as `code (status)`: `[]` when every call succeeded. */
function failuresOf(outcomes: readonly CallOutcome[]): string[] {
  return outcomes.flatMap((outcome) =>
    outcome.ok ? [] : [`${outcome.code ?? 'no code'} (${outcome.status ?? 'no status'})`],
  );
}

/** Every token request since the last reset, as `grant status`, in order. */
function tokenRequestLines(stats: OAuth2ServerStats): string[] {
  return stats.tokenRequests.map((request) => `${request.grant} ${request.status}`);
}

/** Token requests received after `epochMs`. */
function tokenRequestsAfter(stats: OAuth2ServerStats, epochMs: number): string[] {
  return tokenRequestLines({
    ...stats,
    tokenRequests: stats.tokenRequests.filter((request) => request.at > epochMs),
  });
}

/** Makes one successful call and returns the token held after it. */
async function firstToken(bed: OAuth2Bed): Promise<string> {
  expect(await bed.call()).toMatchObject({ ok: true, status: 200 });
  const token = bed.auth.getCachedAccessToken();
  expect(token).toBeDefined();
  return token ?? '';
}

/** Asserts that `outcome` failed with an `EnkashAuthError` of `code`. */
function expectAuthError(outcome: CallOutcome, code: string): void {
  expect(outcome).toMatchObject({ ok: false, code });
  if (!outcome.ok) expect(outcome.error).toBeInstanceOf(EnkashAuthError);
}

/**
 * Credentials the server refuses: the first call and five more fail with an `EnkashAuthError` of `code`, and a
 * moment later the server has received exactly one token request (`tokenRequest`, as `grant status`, answered with
 * the OAuth2 `error`) and no call of a resource: the library never tried again on its own.
 */
async function expectRefusedOnce(
  bed: OAuth2Bed,
  code: string,
  tokenRequest: string,
  error: string,
): Promise<void> {
  expectAuthError(await bed.call(), code);
  const later = await Promise.all(Array.from({ length: 5 }, () => bed.call()));
  for (const outcome of later) expectAuthError(outcome, code);
  await sleep(1_500); // longer than the first backoff and the spacing of on-demand requests

  const stats = await bed.stats();
  expect(tokenRequestLines(stats)).toEqual([tokenRequest]);
  expect(stats.tokenRequests[0]?.error).toBe(error);
  expect(stats.resourceCalls).toEqual({});
}

/**
 * A refused token is recovered with one successful token request: the password grant, possibly after one refresh
 * grant that django-oauth-toolkit answers with a 500 (its refresh token's access token was revoked).
 */
function expectOneRecovery(requests: readonly string[]): void {
  expect(requests.filter((request) => request.endsWith(' 200'))).toEqual(['password 200']);
  expect(requests.filter((request) => !request.endsWith(' 200'))).toEqual(
    requests.includes('refresh_token 500') ? ['refresh_token 500'] : [],
  );
}

describe('the library against django-oauth-toolkit 1.7', () => {
  closeOAuth2BedsAfterEach();

  describe('a cold start under load', () => {
    it('serves 50 concurrent callers with exactly one password grant', async () => {
      const bed = await startOAuth2Bed();

      const outcomes = await Promise.all(Array.from({ length: 50 }, () => bed.call()));

      expect(failuresOf(outcomes)).toEqual([]);
      const stats = await bed.stats();
      expect(tokenRequestLines(stats)).toEqual(['password 200']);
      expect(stats.resourceCalls[OAUTH2_BALANCE_PATH]).toEqual({ '200': 50 });
    });
  });

  describe('renewals with refresh-token rotation', () => {
    const LIFETIME_SECONDS = 3;
    const RUN_MS = 3 * LIFETIME_SECONDS * 1_000;

    it('renews short tokens with the refresh grant and the rotated refresh token, while no call fails', async () => {
      const bed = await startOAuth2Bed({ accessTokenSeconds: LIFETIME_SECONDS });

      const outcomes = await bed.load(8, () => sleep(RUN_MS));

      expect(failuresOf(outcomes)).toEqual([]);
      expect(outcomes.length).toBeGreaterThan(100);
      const stats = await bed.stats();
      // One login, then refresh grants only, each answered 200: a refresh token used twice would get 400 invalid_grant.
      const requests = tokenRequestLines(stats);
      const refreshGrants = tokenRequestsOf(stats, 'refresh_token');
      expect(requests).toEqual([
        'password 200',
        ...Array.from({ length: refreshGrants }, () => 'refresh_token 200'),
      ]);
      // Renewed before each token expired: at least once per lifetime after the first.
      expect(refreshGrants).toBeGreaterThanOrEqual(RUN_MS / (LIFETIME_SECONDS * 1_000) - 1);
      const unauthorized = stats.resourceCalls[OAUTH2_BALANCE_PATH]?.['401'] ?? 0;
      process.stdout.write(
        `django-oauth-toolkit, ${LIFETIME_SECONDS} s tokens, ${RUN_MS / 1_000} s: ${outcomes.length} calls, ` +
          `${failuresOf(outcomes).length} failed, token requests: 1 password + ${refreshGrants} refresh ` +
          `(${((1 + refreshGrants) / (RUN_MS / (LIFETIME_SECONDS * 1_000))).toFixed(1)} per lifetime), ` +
          `${unauthorized} calls met a 401 and were sent again\n`,
      );
    });
  });

  describe('a revocation while calls run', () => {
    it('recovers the calls that meet the revoked token with one token request, and no call fails', async () => {
      const bed = await startOAuth2Bed();
      let revoked = '';
      let revokedAt = 0;
      let answeredBefore = 0;
      const answered = async (): Promise<number> =>
        (await bed.stats()).resourceCalls[OAUTH2_BALANCE_PATH]?.['200'] ?? 0;

      const outcomes = await bed.load(8, async () => {
        await bed.until(async () => (await answered()) >= 40, 10_000, '40 calls answered');
        revoked = bed.auth.getCachedAccessToken() ?? '';
        revokedAt = Date.now();
        await bed.server.revoke(revoked, 'access_token');
        answeredBefore = await answered();
        await bed.until(
          async () =>
            bed.auth.getCachedAccessToken() !== revoked &&
            (await answered()) >= answeredBefore + 40,
          10_000,
          'a new token, and 40 calls answered after the revocation',
        );
      });

      expect(failuresOf(outcomes)).toEqual([]);
      const stats = await bed.stats();
      // The revocation did reach calls: some met a 401, and were sent again with the new token.
      expect(stats.resourceCalls[OAUTH2_BALANCE_PATH]?.['401']).toBeGreaterThanOrEqual(1);
      expect(tokenRequestLines(stats)[0]).toBe('password 200');
      expectOneRecovery(tokenRequestsAfter(stats, revokedAt));
    });
  });

  describe('a revocation while idle', () => {
    /**
     * The library cannot know that the token it holds was revoked: it may retry the refresh grant, with its backoff,
     * as long as that token is valid, and once more after; then comes the password grant, one backoff step later.
     * A short lifetime leaves room for one retry at most while the token is valid (its renewal comes at most 40% of
     * the lifetime before it expires), so that the password grant comes within some 8 seconds.
     */
    const LIFETIME_SECONDS = 2;
    const RECOVERY_WITHIN_MS = 10_000;

    it('recovers through the password grant when the refresh grant answers 500, and the next call succeeds', async () => {
      const bed = await startOAuth2Bed({ accessTokenSeconds: LIFETIME_SECONDS });
      const revoked = await firstToken(bed);
      await bed.server.revoke(revoked, 'access_token');

      // No call: the renewal comes on its own, and django-oauth-toolkit answers its refresh grant with a 500.
      await bed.until(
        async () => tokenRequestsOf(await bed.stats(), 'refresh_token', 500) >= 1,
        LIFETIME_SECONDS * 1_000 + 2_000,
        'the renewal’s refresh grant, answered 500',
      );
      await bed.until(
        async () => tokenRequestsOf(await bed.stats(), 'password', 200) >= 2,
        RECOVERY_WITHIN_MS,
        'a password grant after the refresh grant failed',
      );
      const requestsBeforeTheCall = (await bed.stats()).tokenRequests.length;
      const outcome = await bed.call();
      const calledBy = Date.now();

      expect(outcome).toMatchObject({ ok: true, status: 200 });
      expect(bed.auth.getCachedAccessToken()).not.toBe(revoked);
      const stats = await bed.stats();
      // Up to the call: the new token's own renewal may come later, and is no part of this.
      const upToTheCall = stats.tokenRequests.filter((request) => request.at <= calledBy);
      // The call found the new token held: no token request, no 401.
      expect(upToTheCall).toHaveLength(requestsBeforeTheCall);
      expect(stats.resourceCalls[OAUTH2_BALANCE_PATH]).toEqual({ '200': 2 });
      const requests = tokenRequestLines({ ...stats, tokenRequests: upToTheCall });
      expect(requests.filter((request) => request !== 'refresh_token 500')).toEqual([
        'password 200',
        'password 200',
      ]);
      // The refresh grant was given up after a few 500s, not retried on and on.
      expect(tokenRequestsOf(stats, 'refresh_token', 500)).toBeLessThanOrEqual(3);
    });
  });

  describe('a wrong password', () => {
    it('fails with invalid_credentials after exactly one token request, and never tries again on its own', async () => {
      const bed = await startOAuth2Bed({}, { password: 'not the password' });

      await expectRefusedOnce(bed, 'invalid_credentials', 'password 400', 'invalid_grant');
    });
  });

  describe('a wrong client secret', () => {
    it('fails with invalid_client after exactly one token request, and never tries again on its own', async () => {
      const bed = await startOAuth2Bed({}, { clientSecret: 'not-the-client-secret' });

      await expectRefusedOnce(bed, 'invalid_client', 'password 401', 'invalid_client');
    });
  });

  describe('the server down while a token is held', () => {
    /**
     * Long enough that the held token is still valid for a few seconds after its renewal fails (the renewal comes at
     * least a tenth of the lifetime before expiry, where the expiry guard stops handing the token out), so that the
     * server's start is well within that time even on a loaded machine.
     */
    const LIFETIME_SECONDS = 10;

    it('keeps the held token through failed renewals, and renews it once the server is back', async () => {
      const bed = await startOAuth2Bed({ accessTokenSeconds: LIFETIME_SECONDS });
      const held = await firstToken(bed);
      await bed.server.stop();

      // A call while the server is down fails with the connection's error, not an auth error (a reset when it went
      // out on a kept-alive connection the server's exit had not closed yet on this side).
      const whileDown = await bed.call();
      expect(whileDown.ok).toBe(false);
      if (!whileDown.ok) {
        expect(whileDown.error).toBeInstanceOf(EnkashHttpError);
        expect(['ECONNREFUSED', 'ECONNRESET']).toContain(whileDown.code);
      }
      await bed.until(
        () => bed.auth.getStatus().consecutiveFailures >= 1,
        LIFETIME_SECONDS * 1_000,
        'a renewal that fails while the server is down',
      );
      expect(bed.auth.getStatus().lastErrorCode).toBe('network');
      expect(bed.auth.getCachedAccessToken()).toBe(held);

      await bed.server.start();
      // The server's bookkeeping starts afresh with the process; its database kept the tokens.
      const outcomes = [await bed.call()]; // with the held token, unless its renewal came first
      await bed.until(
        async () => tokenRequestsOf(await bed.stats(), 'refresh_token', 200) >= 1,
        LIFETIME_SECONDS * 1_000,
        'a renewal once the server is back',
      );
      outcomes.push(await bed.call());

      expect(failuresOf(outcomes)).toEqual([]);
      expect(bed.auth.getCachedAccessToken()).not.toBe(held);
      const stats = await bed.stats();
      expect(tokenRequestLines(stats)).toEqual(['refresh_token 200']);
      expect(stats.resourceCalls[OAUTH2_BALANCE_PATH]).toEqual({ '200': 2 });
    });
  });

  describe('a 403 that says the token is invalid', () => {
    it('is recovered like a 401: one transparent retry with a new token', async () => {
      const bed = await startOAuth2Bed();
      const revoked = await firstToken(bed);
      const revokedAt = Date.now();
      await bed.server.revoke(revoked, 'access_token');

      const outcome = await bed.call(OAUTH2_BALANCE_403_PATH);

      expect(outcome).toMatchObject({ ok: true, status: 200 });
      expect(bed.auth.getCachedAccessToken()).not.toBe(revoked);
      const stats = await bed.stats();
      expect(stats.resourceCalls[OAUTH2_BALANCE_403_PATH]).toEqual({ '403': 1, '200': 1 });
      expectOneRecovery(tokenRequestsAfter(stats, revokedAt));
    });
  });

  describe('a plain 403 (a permission the token lacks)', () => {
    it('is passed to the caller unchanged: no retry, no token request, the token kept', async () => {
      const bed = await startOAuth2Bed();
      const held = await firstToken(bed);

      const outcome = await bed.call(OAUTH2_ADMIN_PATH);

      expect(outcome).toMatchObject({ ok: false, status: 403 });
      if (!outcome.ok) {
        expect(outcome.error).toBeInstanceOf(EnkashHttpError);
        expect((outcome.error as EnkashHttpError).response?.data).toEqual({
          response_code: 403,
          response_message: 'APIs not enabled',
        });
      }
      expect(bed.auth.getCachedAccessToken()).toBe(held);
      const stats = await bed.stats();
      expect(tokenRequestLines(stats)).toEqual(['password 200']);
      expect(stats.resourceCalls[OAUTH2_ADMIN_PATH]).toEqual({ '403': 1 });
    });
  });
});
