// Three replicas sharing a real Redis Cluster (3 primaries, a replica each), configured as an application would
// (ENKASH_REDIS_CLUSTER_NODES). The slot of their account moves to another primary (a resharding); that primary is
// killed right after a renewal, so that the slot has no primary until the cluster has promoted its replica, between
// two renewals; then the renewal lock is lost the moment a replica takes it, as it is when a primary fails over to a
// replica it had not reached, while that replica's refresh grant is slow: another replica renews the same token. No
// call fails, and the lost lock costs one more refresh grant, no more. (test/redis-cluster-store.e2e-spec.ts takes
// the store itself through the death of a primary at any moment.)
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { compileChildFixtures, removeChildFixtures } from '../support/child-fixtures.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { sleep } from '../support/waiting.js';
import { expectFailoverCostsNoCall } from './replica-failover.js';

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

  /** The slot of the account's keys. */
  const slotOf = (account: string): Promise<number> =>
    cluster.slotOf(`enkash-auth:token:{${account}}`);

  it('keeps every call succeeding through a resharding, the death of the primary between renewals and a lost lock: one refresh grant per renewal, one more for the lost lock', async () => {
    await expectFailoverCostsNoCall({
      label: 'Cluster: moved, killed, lock lost',
      fixtures,
      redis: { clusterNodes: cluster.urls },
      failOver: async (account, renewalOver, mark) => {
        const slot = await slotOf(account);
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
        const released = await renewalOver(primary);
        mark('renewal over: primary killed');
        await primary.kill();
        await cluster.healthy();
        mark('replica promoted');
        return released;
      },
      primary: async (account) => cluster.primaryOf(await slotOf(account)),
    });
  }, 90_000);
});
