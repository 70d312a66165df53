// Three replicas sharing a real Redis Cluster (3 primaries, a replica each), configured as an application would
// (ENKASH_REDIS_CLUSTER_NODES). The slot of their account moves to another primary (a resharding); that primary is
// killed right after a renewal, so that the slot has no primary until the cluster has promoted its replica, between
// two renewals; then the renewal lock is lost the moment a replica takes it, as it is when a primary fails over to a
// replica it had not reached, while that replica's refresh grant is slow: another replica renews the same token. No
// call fails, and the lost lock costs one more refresh grant, no more. (test/redis-cluster-store.e2e-spec.ts takes
// the store itself through the death of a primary at any moment.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEnkashSimulator } from '../../lib/testing/index.js';
import { compileChildFixtures, removeChildFixtures } from '../support/child-fixtures.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
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

describe('three replicas sharing a Redis Cluster while their slot moves and its primary fails', () => {
  let fixtures: string;
  let cluster: RedisCluster;

  beforeAll(async () => {
    [fixtures, cluster] = await Promise.all([
      compileChildFixtures('redis-cluster'),
      startRedisCluster({ password: 'replicas-redis-pass-s3cret' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
    if (fixtures !== undefined) await removeChildFixtures(fixtures);
  });

  it('keeps every call succeeding through a resharding, the death of the primary between renewals and a lost lock: one refresh grant per renewal, one more for the lost lock', async () => {
    const simulator = await startEnkashSimulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS });
    const redis = { clusterNodes: cluster.urls };
    const timeline: string[] = [];
    const seen = { released: false, taken: false };
    let tokenShared = false;
    try {
      const result = await runReplicas({
        label: 'Cluster: moved, killed, lock lost',
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
          const slot = await cluster.slotOf(`enkash-auth:token:{${account}}`);
          await sleep(3_000);
          const owner = await cluster.primaryOf(slot);
          const target = (await cluster.view()).find(
            (node) => node.role === 'primary' && !node.failed && node.port !== owner.port,
          );
          mark(`slot ${slot} moving from ${owner.port} to ${target?.port}`);
          await cluster.moveSlot(
            slot,
            cluster.servers.find((server) => server.port === target?.port)!,
          );
          mark('slot moved');
          const primary = await cluster.primaryOf(slot);
          seen.released = await lockMomentOn(primary, account, 'released', { timeoutMs: 12_000 });
          mark('renewal over: primary killed');
          await primary.kill();
          await cluster.healthy();
          mark('replica promoted');
          simulator.injectFault({ kind: 'delay', ms: SLOW_REFRESH_MS }, { grant: 'refresh_token' });
          seen.taken = await lockMomentOn(await cluster.primaryOf(slot), account, 'taken', {
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
      // finding the lock taken again. The resharding and the failover between renewals cost none.
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
