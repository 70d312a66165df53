// Fault matrix, fourth column: recovery from a resource 401. EnKash revoked the token held; the call that meets the
// 401 re-acquires one with the password grant, and that token request is the one that fails.
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

/** Boots, makes one call, and has EnKash revoke the token a second later. */
async function startWithRevokedToken(): Promise<{ bed: FaultBed; revoked: string }> {
  const bed = await startFaultBed();
  expectSuccess(await bed.call());
  const revoked = await bed.auth.getAccessToken();
  await sleep(1_000); // past the minimum spacing between two token requests
  bed.simulator.revokeAccessToken();
  return { bed, revoked };
}

describe('faults while recovering from a resource 401', () => {
  closeFaultBedsAfterEach();

  describe.each(TRANSIENT_FAULTS)('$name', (fault) => {
    it('serves the call that met the 401 and a burst after it with the retry, within one backoff step', async () => {
      const { bed, revoked } = await startWithRevokedToken();
      fault.inject(bed, 'password');

      expectAllServedThroughBlip(await callThroughBlip(bed, fault), fault);
      const renewed = bed.auth.getCachedAccessToken();
      expect(renewed).not.toBe(revoked);
      // The first call met the 401 once, and was sent again with the new token only; the burst, with the new token.
      const sent = bed.simulator.resourceCalls.map((call) => call.authorization);
      expect(sent.slice(0, 2)).toEqual([`Bearer ${revoked}`, `Bearer ${revoked}`]);
      expect(new Set(sent.slice(2))).toEqual(new Set([`Bearer ${renewed}`]));
      expect(sent).toHaveLength(2 + BURST_CALLERS + 1);
      expect(bed.grants()).toEqual({ password: fault.code === 'network' ? 2 : 3, refresh: 0 });
      expectRetryNotTooSoon(bed, fault);
    });
  });

  describe('invalid_grant on refresh', () => {
    it('never meets it: recovery uses the password grant, and the call succeeds', async () => {
      const { bed } = await startWithRevokedToken();
      bed.simulator.injectFault({ kind: 'invalid-refresh-token' }, { grant: 'refresh_token' });

      const outcome = await bed.call();
      expectSuccess(outcome);
      expect(outcome.ms).toBeLessThan(PROMPT_MS);
      expect(bed.grants()).toEqual({ password: 2, refresh: 0 });
    });
  });

  describe('bad credentials', () => {
    it('fails with invalid_credentials after exactly one failed login, and then sends nothing at all', async () => {
      const { bed } = await startWithRevokedToken();
      bed.simulator.setCredentials({ password: 'rotated by an administrator' });

      expectAuthFailure(await bed.call(), 'invalid_credentials', PROMPT_MS);
      const later = await Promise.all(Array.from({ length: 5 }, () => bed.call()));
      for (const outcome of later) expectAuthFailure(outcome, 'invalid_credentials', PROMPT_MS);
      await sleep(1_500);

      expect(bed.grants()).toEqual({ password: 2, refresh: 0 });
      expect(bed.simulator.stats.failedLogins).toBe(1);
      expect(bed.simulator.resourceCalls).toHaveLength(2);
      expect(bed.auth.getStatus().state).toBe('locked_out');
    });
  });

  describe('a resource 401 for a revoked token', () => {
    it('recovers 50 concurrent calls that all met the 401 with one token request', async () => {
      const { bed, revoked } = await startWithRevokedToken();

      const outcomes = await Promise.all(Array.from({ length: 50 }, () => bed.call()));
      for (const outcome of outcomes) expectSuccess(outcome);

      expect(bed.grants()).toEqual({ password: 2, refresh: 0 });
      const current = bed.simulator.currentAccessToken;
      const sent = bed.simulator.resourceCalls.slice(1).map((call) => call.authorization);
      expect(sent.filter((header) => header === `Bearer ${revoked}`)).toHaveLength(50);
      expect(sent.filter((header) => header === `Bearer ${current}`)).toHaveLength(50);
    });
  });
});
