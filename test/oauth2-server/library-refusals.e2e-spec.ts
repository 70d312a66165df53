// The library against django-oauth-toolkit 1.7 (see library-renewals.e2e-spec.ts), refused for good: a wrong
// password, a wrong client secret, and a plain 403 for a permission the token lacks, each handed to the caller
// without token requests on and on.
// Each test has its own server and application, and counts what a user would notice: failed calls, their errors'
// codes, and the token requests the server received.
import { describe, expect, it } from '@jest/globals';
import { EnkashAuthError, EnkashHttpError } from '../../lib/index.js';
import { OAUTH2_ADMIN_PATH } from '../support/oauth2-server.js';
import { sleep } from '../support/waiting.js';
import { closeOAuth2BedsAfterEach, startOAuth2Bed } from './oauth2-bed.js';
import type { CallOutcome, OAuth2Bed } from './oauth2-bed.js';
import { firstToken, tokenRequestLines } from './scenario-checks.js';

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

describe('the library against django-oauth-toolkit 1.7', () => {
  closeOAuth2BedsAfterEach();

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
