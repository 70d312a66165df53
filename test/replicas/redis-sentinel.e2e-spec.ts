// Three replicas sharing a real Redis behind Sentinel (a primary, a replica, three sentinels), configured as an
// application would (ENKASH_REDIS_URL naming the primary, ENKASH_REDIS_SENTINELS). The primary is killed right after a
// renewal: the store does not answer until the sentinels have promoted the replica, between two renewals. Then the
// renewal lock is lost the moment a replica takes it, as it is when the primary that held it fails over to a replica
// it had not reached, while that replica's refresh grant is slow: another replica renews the same token. No call
// fails, and the lost lock costs one more refresh grant, no more. (test/redis-sentinel-store.e2e-spec.ts takes the
// store itself through SENTINEL FAILOVER and the primary's death at any moment.)
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { compileChildFixtures, removeChildFixtures } from '../support/child-fixtures.js';
import { startRedisSentinelGroup, type RedisSentinelGroup } from '../support/redis-sentinel.js';
import { expectFailoverCostsNoCall } from './replica-failover.js';

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
    await expectFailoverCostsNoCall({
      label: 'Sentinel: killed, lock lost',
      fixtures,
      redis: { url: group.url, sentinels: group.sentinelUrls },
      failOver: async (_account, renewalOver, mark) => {
        const released = await renewalOver(await group.primary());
        mark('renewal over: primary killed');
        await group.killPrimary();
        mark('replica promoted');
        return released;
      },
      primary: () => group.primary(),
    });
  }, 90_000);
});
