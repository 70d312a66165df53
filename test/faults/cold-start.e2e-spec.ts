// Fault matrix, first column: the first token acquisition at a cold start (no token held yet).
// Each cell: what the caller sees and how fast, how many token requests reached EnKash, and what follows.
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

describe('faults at a cold start (first token acquisition)', () => {
  closeFaultBedsAfterEach();

  describe.each(TRANSIENT_FAULTS)('$name', (fault) => {
    it('serves the first call and a burst after it with the retry, within one backoff step', async () => {
      const bed = await startFaultBed();
      fault.inject(bed, 'password');

      expectAllServedThroughBlip(await callThroughBlip(bed, fault), fault);
      // The failed request (not received when refused) and the retry: two password grants, no refresh grant.
      const received = fault.code === 'network' ? 1 : 2;
      expect(bed.grants()).toEqual({ password: received, refresh: 0 });
      expectRetryNotTooSoon(bed, fault);
      expect(bed.simulator.resourceCalls).toHaveLength(BURST_CALLERS + 1);
      expect(bed.auth.getStatus()).toMatchObject({ state: 'valid', consecutiveFailures: 0 });
    });
  });

  describe('invalid_grant on refresh', () => {
    it('never meets it: a cold start uses the password grant only', async () => {
      const bed = await startFaultBed();
      bed.simulator.injectFault({ kind: 'invalid-refresh-token' }, { grant: 'refresh_token' });

      const outcome = await bed.call();
      expectSuccess(outcome);
      expect(outcome.ms).toBeLessThan(PROMPT_MS);
      expect(bed.grants()).toEqual({ password: 1, refresh: 0 });
    });
  });

  describe('bad credentials', () => {
    it('fails with invalid_credentials after exactly one login attempt, and never tries again on its own', async () => {
      const bed = await startFaultBed();
      bed.simulator.setCredentials({ password: 'rotated by an administrator' });

      const first = await bed.call();
      expectAuthFailure(first, 'invalid_credentials', PROMPT_MS);
      const later = await Promise.all(Array.from({ length: 5 }, () => bed.call()));
      for (const outcome of later) expectAuthFailure(outcome, 'invalid_credentials', PROMPT_MS);
      await sleep(1_500); // longer than any backoff's first step

      expect(bed.grants()).toEqual({ password: 1, refresh: 0 });
      expect(bed.simulator.stats.failedLogins).toBe(1);
      expect(bed.simulator.resourceCalls).toHaveLength(0);
      expect(bed.auth.getStatus()).toMatchObject({
        state: 'locked_out',
        lastErrorCode: 'invalid_credentials',
        nextRenewalAt: null,
        nextRetryAt: null,
      });
      expect(bed.watch.linesAt('error').join('\n')).toContain(
        'EnKash rejected the username or password',
      );
    });
  });

  describe('a resource 401 for a revoked token', () => {
    it('re-acquires once with the password grant and the first call succeeds', async () => {
      const bed = await startFaultBed();
      const revoked = await bed.auth.getAccessToken();
      bed.simulator.revokeAccessToken();

      const outcome = await bed.call();
      expectSuccess(outcome);
      expect(bed.grants()).toEqual({ password: 2, refresh: 0 });
      const sent = bed.simulator.resourceCalls.map((call) => call.authorization);
      expect(sent).toEqual([`Bearer ${revoked}`, `Bearer ${bed.simulator.currentAccessToken}`]);
      expect(bed.simulator.currentAccessToken).not.toBe(revoked);
    });
  });
});
