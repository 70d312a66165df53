// The Redis token store on a real primary behind Sentinel of this suite's own (a primary, a replica, three
// sentinels; no mocks): reached from the sentinels' addresses or through the application's own client, across a
// SENTINEL FAILOVER and across the primary's death.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  createRedisTokenStore,
  type RedisTokenStore,
  type RedisTokenStoreOptions,
} from '../lib/store/redis-token-store.js';
import { recordingLogger } from './support/recording-logger.js';
import {
  SENTINEL_MASTER_NAME,
  startRedisSentinelGroup,
  type RedisSentinelGroup,
} from './support/redis-sentinel.js';
import { stopWatchingResources, watchResources } from './support/resource-watch.js';
import { sleep, until } from './support/waiting.js';

const OPERATION_TIMEOUT_MS = 300;
/** How much later than its timeout an operation may settle on a loaded machine. */
const SLACK_MS = 250;
const CLIENT_SECRET = 'sentinel-test-client-s3cret';
/** The primary and its replica require it, as production ones do: the store's URL carries it. */
const REDIS_PASSWORD = 'sentinel-data-pass-s3cret';

let group: RedisSentinelGroup;
const stores: RedisTokenStore[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  group = await startRedisSentinelGroup({ password: REDIS_PASSWORD });
}, 60_000);

afterEach(async () => {
  stopWatchingResources();
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(
    clients.splice(0).map(async (client) => {
      if (client.status === 'end') return;
      const ended = new Promise((resolve) => client.once('end', resolve));
      client.disconnect();
      await ended;
    }),
  );
});

afterAll(async () => {
  await group?.close();
});

async function openStore(options: Partial<RedisTokenStoreOptions> = {}): Promise<RedisTokenStore> {
  const store = await createRedisTokenStore({
    ...(options.client === undefined ? { url: group.url, sentinels: group.sentinelUrls } : {}),
    clientSecret: CLIENT_SECRET,
    logger: recordingLogger(),
    operationTimeoutMs: OPERATION_TIMEOUT_MS,
    ...options,
  });
  stores.push(store);
  return store;
}

function tokenFor(lifeMs: number, accessToken = `access-${randomUUID()}`) {
  return { accessToken, refreshToken: `refresh-${randomUUID()}`, expiresAt: Date.now() + lifeMs };
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

/** A store listening to `key`, once the primary has its subscription; counts what it heard. */
async function listeningStore(key: string): Promise<{ heard: () => number }> {
  const store = await openStore();
  let heard = 0;
  store.onTokenWritten(key, () => (heard += 1));
  const channel = `enkash-auth:written:${key}`;
  await eventually(async () => {
    const primary = await group.primary();
    const [, count] = (await primary.command('PUBSUB', 'NUMSUB', channel)) as [string, number];
    return Number(count) === 1;
  }, 'the listener subscribed on the primary');
  return { heard: () => heard };
}

/** Runs every operation of `store` on `key` in turn until stopped, recording when each settled and how. */
function exercise(store: RedisTokenStore, key: string) {
  const outcomes: { at: number; ms: number; ok: boolean }[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      for (const operation of [
        () => store.set(key, tokenFor(60_000 + Math.random() * 1_000)),
        () => store.get(key),
        () => store.acquireLock(key, 'owner', 5_000),
        () => store.releaseLock(key, 'owner'),
      ]) {
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

describe('RedisTokenStore on a primary behind Sentinel', () => {
  it('shares a token on the primary the sentinels name, from their addresses and its name', async () => {
    const store = await openStore();
    const key = randomUUID();
    const token = tokenFor(60_000);
    await expect(store.set(key, token)).resolves.toBe(true);
    await expect(store.get(key)).resolves.toMatchObject({ accessToken: token.accessToken });
    const onPrimary = (await group.dump()).map((entry) => entry.key);
    expect(onPrimary).toContain(`enkash-auth:token:{${key}}`);
  });

  it("works with the application's own Sentinel client, which close() leaves open with nothing added", async () => {
    const client = new Redis({
      sentinels: group.sentinelUrls.map((url) => ({
        host: '127.0.0.1',
        port: Number(new URL(url).port),
      })),
      name: SENTINEL_MASTER_NAME,
      password: REDIS_PASSWORD,
    });
    clients.push(client);
    await client.ping();
    const watch = watchResources();
    const store = await openStore({ client });
    const key = randomUUID();
    let heard = 0;
    store.onTokenWritten(key, () => (heard += 1));
    await eventually(async () => {
      const [, count] = (await (
        await group.primary()
      ).command('PUBSUB', 'NUMSUB', `enkash-auth:written:${key}`)) as [string, number];
      return Number(count) === 1;
    }, 'the store subscribed');
    await store.set(key, tokenFor(60_000));
    await until(() => heard === 1, 5_000, 'the write heard through the duplicated client');

    await store.close();
    expect(client.status).toBe('ready');
    await expect(client.ping()).resolves.toBe('PONG');
    expect(watch.added()).toEqual({});
  });

  it('goes on across SENTINEL FAILOVER: the token and the lock are on the new primary, and notices go on', async () => {
    const store = await openStore();
    const other = await openStore();
    const key = randomUUID();
    const { heard } = await listeningStore(key);
    const token = tokenFor(60_000);
    await store.set(key, token);
    await store.acquireLock(key, 'instance-a', 30_000);
    await until(() => heard() === 1, 5_000, 'the write heard');

    const before = await group.primary();
    const load = exercise(other, randomUUID());
    let after;
    try {
      after = await group.failover();
      await sleep(500);
    } finally {
      await load.stop();
    }
    expect(after.port).not.toBe(before.port);
    // A graceful failover: the replica had every write made before it, and the store follows the new primary.
    await expect(store.get(key)).resolves.toMatchObject({ accessToken: token.accessToken });
    await expect(other.acquireLock(key, 'instance-b', 5_000)).resolves.toBe(false);
    // When the sentinels convert the old primary, they close its clients' connections: the store fails its
    // operations at once while it reconnects through the sentinels, for some 50 ms in the runs measured.
    const failed = load.outcomes.filter((outcome) => !outcome.ok);
    for (const { ms } of failed) expect(ms).toBeLessThan(OPERATION_TIMEOUT_MS + SLACK_MS);
    if (failed.length > 0) expect(failed.at(-1)!.at - failed[0]!.at).toBeLessThan(1_000);
    await eventually(
      async () => {
        await store.set(key, tokenFor(120_000 + Math.random() * 1_000));
        await sleep(50);
        return heard() > 1;
      },
      'a write after the failover heard',
      10_000,
    );
  }, 30_000);

  it('survives the death of the primary as an outage: fails fast until the replica is promoted, then works on it', async () => {
    const store = await openStore();
    const key = randomUUID();
    const { heard } = await listeningStore(key);
    await store.set(key, tokenFor(60_000));
    await until(() => heard() === 1, 5_000, 'the write heard');

    const load = exercise(store, key);
    let killedAt = 0;
    let promotedAt = 0;
    try {
      await sleep(300);
      killedAt = Date.now();
      await group.killPrimary();
      promotedAt = Date.now();
      await until(
        () => load.outcomes.some((outcome) => outcome.at > promotedAt && outcome.ok),
        10_000,
        'an operation that succeeds on the promoted replica',
      );
      await sleep(500);
    } finally {
      await load.stop();
    }

    const during = load.outcomes.filter((outcome) => outcome.at >= killedAt);
    for (const { ms } of during) expect(ms).toBeLessThan(OPERATION_TIMEOUT_MS + SLACK_MS);
    const firstOk = load.outcomes.findIndex((outcome) => outcome.at > promotedAt && outcome.ok);
    expect(load.outcomes.slice(firstOk).filter((outcome) => !outcome.ok)).toEqual([]);
    await eventually(
      async () => {
        await store.set(key, tokenFor(120_000 + Math.random() * 1_000));
        await sleep(50);
        return heard() > 1;
      },
      'a write on the promoted replica heard',
      10_000,
    );
  }, 30_000);
});
