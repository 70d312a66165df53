// Three replicas sharing a real Redis behind Sentinel (a primary, a replica, three sentinels), configured as an
// application would (ENKASH_REDIS_URL naming the primary, ENKASH_REDIS_SENTINELS). The primary is killed right after a
// renewal: the store does not answer until the sentinels have promoted the replica, between two renewals. Then the
// renewal lock is lost the moment a replica takes it, as it is when the primary that held it fails over to a replica
// it had not reached, while that replica's refresh grant is slow: another replica renews the same token. No call
// fails, and the lost lock costs one more refresh grant, no more. (test/redis-sentinel-store.e2e-spec.ts takes the
// store itself through SENTINEL FAILOVER and the primary's death at any moment.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEnkashSimulator } from '../../lib/testing/index.js';
import { compileChildFixtures, removeChildFixtures } from '../support/child-fixtures.js';
import { startRedisSentinelGroup, type RedisSentinelGroup } from '../support/redis-sentinel.js';
import { sleep } from '../support/waiting.js';
import { accountKeyOf, lockMomentOn } from './replica-failover.js';
import {
  CALLERS_PER_REPLICA,
  fewestRenewals,
  mostRenewals,
  runReplicas,
  sharedTokenIn,
  sideBySide,
} from './replica-harness.js';

const DURATION_MS = 21_000;
/**
 * Longer than the other runs' 5 s: renewals about 6 s apart leave room for the ~2.5 s a failover takes between two
 * of them (a renewal while the store does not answer is a lone instance's, which test/replicas/redis-outage covers).
 */
const TOKEN_LIFETIME_SECONDS = 8;
/** How long the refresh grant sent under the lock that is lost takes at EnKash. */
const SLOW_REFRESH_MS = 1_000;

describe('three replicas sharing Redis behind Sentinel while its primary fails over', () => {
  let fixtures: string;
  let group: RedisSentinelGroup;

  beforeAll(async () => {
    [fixtures, group] = await Promise.all([
      compileChildFixtures('redis-sentinel'),
      startRedisSentinelGroup({ password: 'replicas-redis-pass-s3cret' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await group?.close();
    if (fixtures !== undefined) await removeChildFixtures(fixtures);
  });

  it('keeps every call succeeding when the primary dies between renewals and when the lock is lost: one refresh grant per renewal, one more for the lost lock', async () => {
    const simulator = await startEnkashSimulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS });
    const redis = { url: group.url, sentinels: group.sentinelUrls };
    const timeline: string[] = [];
    const seen = { released: false, taken: false };
    let tokenShared = false;
    try {
      const result = await runReplicas({
        label: 'Sentinel: killed, lock lost',
        fixtures,
        simulator,
        redis,
        durationMs: DURATION_MS,
        during: async () => {
          const started = Date.now();
          const mark = (what: string): void => {
            timeline.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${what}`);
          };
          const account = accountKeyOf(simulator);
          seen.released = await lockMomentOn(await group.primary(), account, 'released', {
            timeoutMs: 12_000,
          });
          mark('renewal over: primary killed');
          await group.killPrimary();
          mark('replica promoted');
          simulator.injectFault({ kind: 'delay', ms: SLOW_REFRESH_MS }, { grant: 'refresh_token' });
          seen.taken = await lockMomentOn(await group.primary(), account, 'taken', {
            timeoutMs: 12_000,
            lose: true,
          });
          mark('lock taken, and lost');
          // The renewal under the lost lock writes its token to the new primary once EnKash answers it.
          await sleep(2 * SLOW_REFRESH_MS);
          tokenShared =
            (await sharedTokenIn(redis, simulator))?.accessToken === simulator.currentAccessToken;
        },
      });
      process.stdout.write(`\n${sideBySide([result])}\n${timeline.join('\n')}\n\n`);

      expect(result.failures).toEqual({});
      expect(result.calls).toBeGreaterThan(500);
      expect(seen).toEqual({ released: true, taken: true });
      expect(result.renewals).toBeGreaterThanOrEqual(fewestRenewals(result));
      expect(result.renewals).toBeLessThanOrEqual(mostRenewals(result));
      // The lost lock lets one more replica renew the token being renewed: one more grant, the third replica
      // finding the lock taken again. The failover between renewals costs none.
      expect(result.sameTokenRefreshes).toBeLessThanOrEqual(1);
      // Each revocation reaches the calls on their way at the other replicas, each recovered with one replay
      // (and, when the store has no newer token yet, one password grant per replica).
      expect(result.unauthorized).toBeLessThanOrEqual(
        result.refreshGrants * (result.replicas - 1) * CALLERS_PER_REPLICA,
      );
      expect(result.passwordGrants).toBeLessThanOrEqual(result.refreshGrants * result.replicas);
      expect(tokenShared).toBe(true);
    } finally {
      await simulator.close();
    }
  }, 90_000);
});
