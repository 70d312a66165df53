// The library against a real, independent OAuth2 server: django-oauth-toolkit 1.7 with the password and refresh
// grants, client_secret_basic, refresh-token rotation and RFC 7009 revocation (see server-behaviour.e2e-spec.ts for
// what the server itself does). Here: getting and renewing tokens, from a cold start under load to a server that goes
// down while a token is held; library-revoked-tokens.e2e-spec.ts has the tokens the server refuses, and
// library-refusals.e2e-spec.ts what the library hands to its caller.
// Each test has its own server and application, and counts what a user would notice: failed calls, their errors'
// codes, and the token requests the server received.
import { describe, expect, it } from '@jest/globals';
import { EnkashHttpError } from '../../lib/index.js';
import { OAUTH2_BALANCE_PATH, tokenRequestsOf } from '../support/oauth2-server.js';
import { sleep } from '../support/waiting.js';
import { closeOAuth2BedsAfterEach, startOAuth2Bed } from './oauth2-bed.js';
import { failuresOf, firstToken, tokenRequestLines } from './scenario-checks.js';

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
});
