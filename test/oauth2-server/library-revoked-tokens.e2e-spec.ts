// The library against django-oauth-toolkit 1.7 (see library-renewals.e2e-spec.ts), with tokens the server refuses:
// access tokens revoked through its RFC 7009 endpoint while calls run or while idle, and a resource that answers a
// refused token with 403 rather than 401.
// Each test has its own server and application, and counts what a user would notice: failed calls, their errors'
// codes, and the token requests the server received.
import { describe, expect, it } from '@jest/globals';
import {
  OAUTH2_BALANCE_403_PATH,
  OAUTH2_BALANCE_PATH,
  tokenRequestsOf,
} from '../support/oauth2-server.js';
import type { OAuth2ServerStats } from '../support/oauth2-server.js';
import { closeOAuth2BedsAfterEach, startOAuth2Bed } from './oauth2-bed.js';
import { failuresOf, firstToken, tokenRequestLines } from './scenario-checks.js';

/** Token requests received after `epochMs`. */
function tokenRequestsAfter(stats: OAuth2ServerStats, epochMs: number): string[] {
  return tokenRequestLines({
    ...stats,
    tokenRequests: stats.tokenRequests.filter((request) => request.at > epochMs),
  });
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
});
