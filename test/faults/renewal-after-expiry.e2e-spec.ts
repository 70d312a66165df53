// Fault matrix, third column: renewal after the token expired, as after a suspended process whose renewal timer
// never fired: the caller's call itself has to renew, with the refresh grant.
import { describe, expect, it } from '@jest/globals';
import { sleep } from '../support/enkash-app.js';
import {
  BURST_CALLERS,
  callThroughBlip,
  closeFaultBedsAfterEach,
  expectAllServedThroughBlip,
  expectAuthFailure,
  expectRetryNotTooSoon,
  expectSuccess,
  PROMPT_MS,
  startFaultBed,
  TRANSIENT_FAULTS,
} from './fault-harness.js';
import type { FaultBed } from './fault-harness.js';

/** The failures of a refresh grant after which the next attempt, with no valid token held, is the password grant. */
const REFRESH_GRANT_FAILURES = new Set(['server_error', 'malformed_response', 'timeout']);

/** Boots with 1-second tokens, fetches one, and lets it expire without the scheduled renewal. */
async function startWithExpiredToken(): Promise<{ bed: FaultBed; expired: string }> {
  const bed = await startFaultBed(1);
  const expired = await bed.auth.getAccessToken();
  bed.dropRenewalTimer();
  await sleep(1_200);
  expect(bed.auth.getCachedAccessToken()).toBeUndefined();
  expect(bed.simulator.currentAccessToken).toBeUndefined();
  return { bed, expired };
}

describe('faults while renewing a token that has already expired', () => {
  closeFaultBedsAfterEach();

  describe.each(TRANSIENT_FAULTS)('$name', (fault) => {
    it('serves the call and a burst after it with the retry, within one backoff step', async () => {
      const { bed } = await startWithExpiredToken();
      fault.inject(bed, 'refresh_token');

      expectAllServedThroughBlip(await callThroughBlip(bed, fault), fault);
      expect(bed.simulator.resourceCalls).toHaveLength(BURST_CALLERS + 1);
      // A refresh grant that failed on its own account while no valid token is held gives way to the password grant;
      // the network and a rate limit are the token endpoint's, whatever the grant: the refresh grant is retried.
      const received = fault.code === 'network' ? 0 : 1;
      expect(bed.grants()).toEqual(
        REFRESH_GRANT_FAILURES.has(fault.code)
          ? { password: 2, refresh: 1 }
          : { password: 1, refresh: received + 1 },
      );
      expectRetryNotTooSoon(bed, fault);
    });
  });

  describe('invalid_grant on refresh', () => {
    it('falls back to the password grant within the same call, which succeeds', async () => {
      const { bed } = await startWithExpiredToken();
      bed.simulator.injectFault({ kind: 'invalid-refresh-token' }, { grant: 'refresh_token' });

      const outcome = await bed.call();
      expectSuccess(outcome);
      expect(outcome.ms).toBeLessThan(PROMPT_MS);
      expect(bed.grants()).toEqual({ password: 2, refresh: 1 });
      expect(bed.simulator.tokenRequests.map((request) => request.grantType)).toEqual([
        'password',
        'refresh_token',
        'password',
      ]);
    });
  });

  describe('bad credentials', () => {
    it('renews with the refresh grant anyway: a rotated password costs no failed login', async () => {
      const { bed } = await startWithExpiredToken();
      bed.simulator.setCredentials({ password: 'rotated by an administrator' });

      expectSuccess(await bed.call());
      expect(bed.grants()).toEqual({ password: 1, refresh: 1 });
      expect(bed.simulator.stats.failedLogins).toBe(0);
    });

    it('with the refresh token refused too: the call fails with invalid_credentials after one failed login', async () => {
      const { bed } = await startWithExpiredToken();
      bed.simulator.setCredentials({ password: 'rotated by an administrator' });
      bed.simulator.injectFault({ kind: 'invalid-refresh-token' }, { grant: 'refresh_token' });

      expectAuthFailure(await bed.call(), 'invalid_credentials', PROMPT_MS);
      await sleep(1_500);
      expectAuthFailure(await bed.call(), 'invalid_credentials', PROMPT_MS);

      expect(bed.grants()).toEqual({ password: 2, refresh: 1 });
      expect(bed.simulator.stats.failedLogins).toBe(1);
      expect(bed.simulator.resourceCalls).toHaveLength(0);
    });
  });

  describe('a resource 401 for a token EnKash expired early', () => {
    it('re-acquires with the password grant within the call, which succeeds', async () => {
      const bed = await startFaultBed();
      const early = await bed.auth.getAccessToken();
      await sleep(1_000); // past the minimum spacing between two token requests
      bed.simulator.expireAccessToken();

      const outcome = await bed.call();
      expectSuccess(outcome);
      expect(outcome.ms).toBeLessThan(PROMPT_MS);
      const current = bed.simulator.currentAccessToken;
      expect(current).not.toBe(early);
      expect(bed.simulator.resourceCalls.map((call) => call.authorization)).toEqual([
        `Bearer ${early}`,
        `Bearer ${current}`,
      ]);
      expect(bed.grants()).toEqual({ password: 2, refresh: 0 });
    });
  });
});
