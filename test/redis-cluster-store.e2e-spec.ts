// The Redis token store on a real Redis Cluster of this suite's own (3 primaries, a replica each; no mocks): an
// account's keys in one slot, notices from the node that writes to listeners on every node, a resharding and the
// failure of a node survived as an outage is.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import {
  createRedisTokenStore,
  type RedisTokenStore,
  type RedisTokenStoreOptions,
} from '../lib/store/redis-token-store.js';
import { recordingLogger } from './support/recording-logger.js';
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.js';
import type { RedisServer } from './support/redis-server.js';
import { stopWatchingResources, watchResources } from './support/resource-watch.js';
import { sleep, until } from './support/waiting.js';

const OPERATION_TIMEOUT_MS = 300;
/** How much later than its timeout an operation may settle on a loaded machine. */
const SLACK_MS = 250;
const CLIENT_SECRET = 'cluster-test-client-s3cret';
/** Every node requires it, as production clusters do: the store's URLs carry it to the nodes it discovers. */
const CLUSTER_PASSWORD = 'cluster-pass-s3cret';

let cluster: RedisCluster;
const stores: RedisTokenStore[] = [];
const connections: (Redis | Cluster)[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ password: CLUSTER_PASSWORD });
}, 60_000);

afterEach(async () => {
  stopWatchingResources();
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(connections.splice(0).map((connection) => closed(connection)));
});

afterAll(async () => {
  await cluster?.close();
});

async function openStore(options: Partial<RedisTokenStoreOptions> = {}): Promise<RedisTokenStore> {
  const store = await createRedisTokenStore({
    ...(options.client === undefined ? { clusterNodes: cluster.urls } : {}),
    clientSecret: CLIENT_SECRET,
    logger: recordingLogger(),
    operationTimeoutMs: OPERATION_TIMEOUT_MS,
    ...options,
  });
  stores.push(store);
  return store;
}

async function closed(connection: Redis | Cluster): Promise<void> {
  if (connection.status === 'end') return;
  const ended = new Promise((resolve) => connection.once('end', resolve));
  connection.disconnect();
  await ended;
}

function tokenFor(lifeMs: number, accessToken = `access-${randomUUID()}`) {
  return { accessToken, refreshToken: `refresh-${randomUUID()}`, expiresAt: Date.now() + lifeMs };
}

/** The primary that serves the account `key`'s keys. */
async function primaryOfAccount(key: string): Promise<RedisServer> {
  return cluster.primaryOf(await cluster.slotOf(`enkash-auth:token:{${key}}`));
}

/** How many connections of each live node subscribe to `channel`, as PUBSUB NUMSUB tells on each. */
async function subscriptionsTo(channel: string): Promise<Map<RedisServer, number>> {
  const subscriptions = new Map<RedisServer, number>();
  for (const server of cluster.servers.filter((each) => each.running)) {
    const [, count] = (await server.command('PUBSUB', 'NUMSUB', channel)) as [string, number];
    if (Number(count) > 0) subscriptions.set(server, Number(count));
  }
  return subscriptions;
}

async function subscribersOf(channel: string): Promise<number> {
  return [...(await subscriptionsTo(channel)).values()].reduce((sum, count) => sum + count, 0);
}

/** Resolves once `check` resolves true (a rejection counts as false); fails naming `what` after `timeoutMs`. */
async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() >= deadline) throw new Error(`Not within ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

/** Runs every operation of `store` on `key` in turn until `stop`, recording when each settled and how. */
function exercise(store: RedisTokenStore, key: string) {
  const outcomes: { at: number; ms: number; ok: boolean }[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const operations = [
        () => store.set(key, tokenFor(60_000)),
        () => store.get(key),
        () => store.acquireLock(key, 'owner', 5_000),
        () => store.releaseLock(key, 'owner'),
      ];
      for (const operation of operations) {
        const started = performance.now();
        const ok = await operation().then(
          () => true,
          () => false,
        );
        outcomes.push({ at: Date.now(), ms: performance.now() - started, ok });
      }
      await sleep(10);
    }
  })();
  return {
    outcomes,
    async stop() {
      running = false;
      await done;
    },
  };
}

describe('RedisTokenStore on a Redis Cluster', () => {
  it("keeps an account's token and lock in one slot, on the primary that serves it, from the seed nodes of its configuration", async () => {
    const store = await openStore();
    const key = randomUUID();
    const token = tokenFor(60_000);
    await expect(store.set(key, token)).resolves.toBe(true);
    await expect(store.acquireLock(key, 'instance-a', 5_000)).resolves.toBe(true);
    await expect(store.get(key)).resolves.toMatchObject({ accessToken: token.accessToken });

    const tokenKey = `enkash-auth:token:{${key}}`;
    const lockKey = `enkash-auth:lock:{${key}}`;
    expect(await cluster.slotOf(lockKey)).toBe(await cluster.slotOf(tokenKey));
    const onPrimary = (await (await primaryOfAccount(key)).dump()).map((entry) => entry.key);
    expect(onPrimary).toEqual(expect.arrayContaining([tokenKey, lockKey]));
  });

  it('tells listeners on every node of a write, whichever node serves the account', async () => {
    const writer = await openStore();
    const key = randomUUID();
    const channel = `enkash-auth:written:${key}`;
    // Stores subscribe on a node of ioredis's choice; plain connections on each node prove that every node hears.
    const listeners = await Promise.all([1, 2, 3, 4].map(() => openStore()));
    const heardByStores = listeners.map(() => 0);
    listeners.forEach((listener, index) =>
      listener.onTokenWritten(key, () => (heardByStores[index] += 1)),
    );
    const heardByNodes = new Map<number, number>();
    for (const server of cluster.servers) {
      const connection = new Redis(server.port, '127.0.0.1', {
        lazyConnect: true,
        password: CLUSTER_PASSWORD,
      });
      connections.push(connection);
      connection.on('message', () =>
        heardByNodes.set(server.port, (heardByNodes.get(server.port) ?? 0) + 1),
      );
      await connection.subscribe(channel);
    }
    await eventually(
      async () => (await subscribersOf(channel)) === listeners.length + cluster.servers.length,
      'every store and node connection subscribed',
    );

    await writer.set(key, tokenFor(60_000));
    await until(
      () =>
        heardByStores.every((count) => count === 1) &&
        cluster.servers.every((server) => heardByNodes.get(server.port) === 1),
      5_000,
      'the write heard by every store and on every node',
    );
  });

  it("works with the application's own Cluster client, which close() leaves open with nothing added", async () => {
    const client = new Cluster(cluster.urls.slice(0, 2), {
      redisOptions: { password: CLUSTER_PASSWORD },
    });
    connections.push(client);
    // Connected to every primary first: the store's commands may reach any, through the client's own connections.
    await client.ping();
    await Promise.all(client.nodes('master').map((node) => node.ping()));
    const watch = watchResources();
    const store = await openStore({ client });
    const key = randomUUID();
    let heard = 0;
    store.onTokenWritten(key, () => (heard += 1));
    await eventually(
      async () => (await subscribersOf(`enkash-auth:written:${key}`)) === 1,
      'the store subscribed',
    );
    const writer = await openStore();
    await writer.set(key, tokenFor(60_000));
    await until(() => heard === 1, 5_000, 'the write heard through the duplicated client');
    await expect(store.get(key)).resolves.toBeDefined();

    await Promise.all([store.close(), writer.close()]);
    expect(client.status).toBe('ready');
    await expect(client.ping()).resolves.toBe('PONG');
    // A connection ioredis opened to refresh a cluster's slots closes when the cluster answers (it is not the
    // cluster's to close), within moments.
    await eventually(
      async () => Object.keys(watch.added()).length === 0,
      'nothing left open',
      1_000,
    );
    expect(watch.added()).toEqual({});
  });

  it('keeps working while the slot of an account moves to another primary (a resharding)', async () => {
    const store = await openStore();
    const listener = await openStore();
    const key = randomUUID();
    let heard = 0;
    listener.onTokenWritten(key, () => (heard += 1));
    const channel = `enkash-auth:written:${key}`;
    await eventually(async () => (await subscribersOf(channel)) === 1, 'the listener subscribed');
    await store.set(key, tokenFor(60_000));
    await until(() => heard >= 1, 5_000, 'the first write heard');

    const source = await primaryOfAccount(key);
    const target = (await cluster.view()).find(
      (node) => node.role === 'primary' && !node.failed && node.port !== source.port,
    );
    const targetServer = cluster.servers.find((server) => server.port === target?.port);
    const load = exercise(store, key);
    try {
      await sleep(300);
      await cluster.moveSlot(await cluster.slotOf(`enkash-auth:token:{${key}}`), targetServer!);
      await sleep(500);
    } finally {
      await load.stop();
    }

    expect((await primaryOfAccount(key)).port).toBe(targetServer?.port);
    const onTarget = (await targetServer!.dump()).map((entry) => entry.key);
    expect(onTarget).toContain(`enkash-auth:token:{${key}}`);
    // ioredis follows the ASK and MOVED redirections: no operation failed.
    expect(load.outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    const before = heard;
    await store.set(key, tokenFor(90_000));
    await until(() => heard > before, 5_000, 'a write after the move heard');
  });

  it('survives the failure of the primary that serves the account and that it listens on, as an outage', async () => {
    const store = await openStore();
    const key = randomUUID();
    const channel = `enkash-auth:written:${key}`;
    const primary = await primaryOfAccount(key);
    // ioredis subscribes on a node of its choice: a listener is opened until one listens on that very primary, so
    // that its failure takes both the account's keys and the listener's subscription away.
    let listener: RedisTokenStore | undefined;
    let heard = 0;
    for (let attempt = 0; attempt < 40 && listener === undefined; attempt += 1) {
      const candidate = await openStore();
      candidate.onTokenWritten(key, () => (heard += 1));
      await eventually(async () => (await subscribersOf(channel)) === 1, 'the listener subscribed');
      if ((await subscriptionsTo(channel)).has(primary)) listener = candidate;
      else await candidate.close();
    }
    expect(listener).toBeDefined();
    await store.set(key, tokenFor(60_000));
    await until(() => heard >= 1, 5_000, 'the first write heard');

    const load = exercise(store, key);
    try {
      await sleep(300);
      const failedAt = Date.now();
      await primary.kill();
      await cluster.healthy();
      const healthyAt = Date.now();
      // The client learns of the new owner of the slot at its next failed command or refresh of the slots.
      await until(
        () => load.outcomes.some((outcome) => outcome.at > healthyAt && outcome.ok),
        10_000,
        'an operation that succeeds after the failover',
      );
      await sleep(500);
      await load.stop();

      // Meanwhile each operation settled within its timeout: none waited for the cluster.
      const during = load.outcomes.filter((outcome) => outcome.at >= failedAt);
      for (const { ms } of during) expect(ms).toBeLessThan(OPERATION_TIMEOUT_MS + SLACK_MS);
      // And once one succeeded after the failover, every later one did.
      const firstOk = load.outcomes.findIndex((outcome) => outcome.at > healthyAt && outcome.ok);
      expect(load.outcomes.slice(firstOk).filter((outcome) => !outcome.ok)).toEqual([]);
      await expect(store.get(key)).resolves.toBeDefined();
    } finally {
      await load.stop();
    }
    // The listener subscribed again, on another node.
    const before = heard;
    await eventually(
      async () => {
        await store.set(key, tokenFor(120_000 + Math.random() * 1_000));
        await sleep(50);
        return heard > before;
      },
      'a write after the failover heard',
      10_000,
    );
  }, 40_000);
});
