// Fault matrix, second column: the scheduled renewal, while the token held is still valid.
// A caller keeps calling EnKash through the whole renewal: not one of its calls may fail.
import { describe, expect, it } from '@jest/globals';
import { sleep } from '../support/enkash-app.js';
import {
  closeFaultBedsAfterEach,
  expectAuthFailure,
  expectRetryNotTooSoon,
  PROMPT_MS,
  retryWithinMs,
  startFaultBed,
  TRANSIENT_FAULTS,
  until,
} from './fault-harness.js';
import type { CallOutcome, FaultBed } from './fault-harness.js';

/** A caller that calls EnKash one call after the other, 50 ms apart, until stopped. */
function keepCalling(bed: FaultBed): { stop(): Promise<CallOutcome[]> } {
  const outcomes: CallOutcome[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      outcomes.push(await bed.call());
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return outcomes;
    },
  };
}

/**
 * Every call succeeded, and none waited long: callers during a renewal wait for the new token at most a second before
 * they get the held one (the margin is for a loaded machine).
 */
function expectAllSucceeded(outcomes: readonly CallOutcome[]): void {
  expect(outcomes.length).toBeGreaterThan(10);
  expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
  expect(Math.max(...outcomes.map((outcome) => outcome.ms))).toBeLessThan(1_500);
}

/** The bearer tokens EnKash's API received, each once, in order. */
function tokensSeen(bed: FaultBed): string[] {
  return [...new Set(bed.simulator.resourceCalls.map((call) => call.authorization))].map(
    (header) => header?.replace(/^Bearer /, '') ?? '',
  );
}

describe('faults during the scheduled renewal (the token held is still valid)', () => {
  closeFaultBedsAfterEach();

  describe.each(TRANSIENT_FAULTS)('$name', (fault) => {
    it('keeps every call working with the valid token, then renews with the refresh grant on the retry', async () => {
      // Long enough for the retry (after Retry-After, for the 429) to land about when the token's last tenth begins,
      // which is not handed out: a short token is renewed a quarter of its life before it expires. A call that finds
      // no token handed out for a moment waits for the retry.
      const lifetimeSeconds = Math.ceil(
        (fault.failsWithinMs + Math.max(fault.retryAfterMs, 1_000)) / 1_000 / 0.15,
      );
      const bed = await startFaultBed(lifetimeSeconds);
      const held = await bed.auth.getAccessToken();
      const caller = keepCalling(bed);
      if (fault.code === 'network') {
        // The renewal is due three quarters of the way through the lifetime (the jitter spreads replicas).
        const dueInMs = (bed.auth.getStatus().nextRenewalAt?.getTime() ?? 0) - Date.now();
        await sleep(dueInMs - 300);
        fault.inject(bed);
      } else {
        fault.inject(bed, 'refresh_token');
      }

      await until(
        () => bed.auth.getStatus().consecutiveFailures === 1,
        lifetimeSeconds * 750 + fault.failsWithinMs + 500,
        'the failed renewal',
      );
      expect(bed.auth.getStatus().state).toBe('valid');
      expect(bed.auth.getCachedAccessToken()).toBe(held);
      await fault.heal(bed);
      await until(
        () => ![undefined, held].includes(bed.auth.getCachedAccessToken()),
        retryWithinMs(fault),
        'the renewal retried',
      );
      await sleep(200);
      const outcomes = await caller.stop();

      expectAllSucceeded(outcomes);
      const renewed = bed.auth.getCachedAccessToken();
      expect(tokensSeen(bed)).toEqual([held, renewed]);
      // One login, then the failed refresh grant (not received when refused) and the one that worked.
      expect(bed.grants()).toEqual({ password: 1, refresh: fault.code === 'network' ? 1 : 2 });
      expectRetryNotTooSoon(bed, fault);
      expect(bed.auth.getStatus()).toMatchObject({ state: 'valid', consecutiveFailures: 0 });
    });
  });

  describe('invalid_grant on refresh', () => {
    it('falls back to one password grant, which hands back the valid token, and renews it later', async () => {
      const bed = await startFaultBed(5);
      const held = await bed.auth.getAccessToken();
      bed.simulator.injectFault({ kind: 'invalid-refresh-token' }, { grant: 'refresh_token' });
      const caller = keepCalling(bed);

      // The renewal is due 3.5 to 3.75 s in.
      await until(() => bed.grants().password === 2, 5_000, 'the password grant fallback');
      expect(bed.auth.getCachedAccessToken()).toBe(held);
      // Its remaining life is short: it is renewed with the refresh grant three quarters into it.
      await until(
        () => ![undefined, held].includes(bed.auth.getCachedAccessToken()),
        2_500,
        'the next renewal',
      );
      await sleep(200);
      const outcomes = await caller.stop();

      expectAllSucceeded(outcomes);
      expect(bed.grants()).toEqual({ password: 2, refresh: 2 });
      expect(bed.simulator.stats.failedLogins).toBe(0);
    });
  });

  describe('bad credentials', () => {
    it('renews anyway: the refresh grant carries no password, so a rotated password costs no failed login', async () => {
      const bed = await startFaultBed(5);
      const held = await bed.auth.getAccessToken();
      bed.simulator.setCredentials({ password: 'rotated by an administrator' });
      const caller = keepCalling(bed);

      await until(
        () => ![undefined, held].includes(bed.auth.getCachedAccessToken()),
        5_000,
        'the renewal',
      );
      const outcomes = await caller.stop();

      expectAllSucceeded(outcomes);
      expect(bed.grants()).toEqual({ password: 1, refresh: 1 });
      expect(bed.simulator.stats.failedLogins).toBe(0);
    });

    it('with the refresh token refused too: one failed login, then the valid token serves until it expires', async () => {
      const bed = await startFaultBed(5);
      const held = await bed.auth.getAccessToken();
      bed.simulator.setCredentials({ password: 'rotated by an administrator' });
      bed.simulator.injectFault({ kind: 'invalid-refresh-token' }, { grant: 'refresh_token' });
      const caller = keepCalling(bed);

      // The renewal is due 3.5 to 3.75 s in, the token handed out until 4.5 s.
      await until(() => bed.auth.getStatus().state === 'locked_out', 5_000, 'the lock-out');
      expect(bed.auth.getCachedAccessToken()).toBe(held);
      await sleep(300);
      const outcomes = await caller.stop();
      expectAllSucceeded(outcomes);

      // Its last moments are not handed out: then calls fail at once, and nothing is sent to EnKash.
      await until(() => bed.auth.getCachedAccessToken() === undefined, 2_500, 'the expiry');
      const resourceCalls = bed.simulator.resourceCalls.length;
      expectAuthFailure(await bed.call(), 'invalid_credentials', PROMPT_MS);
      expect(bed.simulator.resourceCalls).toHaveLength(resourceCalls);
      expect(bed.grants()).toEqual({ password: 2, refresh: 1 });
      expect(bed.simulator.stats.failedLogins).toBe(1);
    });
  });

  describe('a resource 401 for a revoked token', () => {
    it('recovers within the call that met it, and the renewal follows the new token', async () => {
      // The first token's renewal is due from 5 to 5.25 s in; revoked at 1 s.
      const bed = await startFaultBed(7);
      const held = await bed.auth.getAccessToken();
      const firstDue = bed.auth.getStatus().nextRenewalAt!.getTime();
      const caller = keepCalling(bed);
      await sleep(1_000);
      bed.simulator.revokeAccessToken();

      // EnKash records the password grant before the engine has its answer: wait for the engine to hold the token.
      await until(
        () => bed.grants().password === 2 && bed.auth.getStatus().state === 'valid',
        2_000,
        'the re-acquisition',
      );
      const nextDue = bed.auth.getStatus().nextRenewalAt!.getTime();
      // The new token's renewal replaced the first one's: up to just before it is due, nothing is sent on top,
      // whenever the first token's renewal would have been due.
      expect(nextDue).not.toBe(firstDue);
      await sleep(nextDue - Date.now() - 200);
      const grantsBetweenRenewals = bed.grants();
      // A token refused before its expiry is the sign of another replica: the renewal first asks EnKash for its
      // current token with the password grant (it hands back ours), then spends the refresh grant.
      await until(() => bed.grants().refresh === 1, 1_500, 'the renewal of the new token');
      const outcomes = await caller.stop();

      expectAllSucceeded(outcomes);
      expect(tokensSeen(bed).slice(0, 2)).toEqual([held, tokensSeen(bed)[1]]);
      expect(tokensSeen(bed)).not.toContain(undefined);
      expect(grantsBetweenRenewals).toEqual({ password: 2, refresh: 0 });
      expect(bed.grants()).toEqual({ password: 3, refresh: 1 });
    });
  });
});
