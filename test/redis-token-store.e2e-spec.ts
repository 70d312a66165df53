// The Redis token store against a real redis-server of this suite's own (no mocks): what instances sharing a
// token notice, including while Redis is stopped, frozen or back again, and what close() leaves behind.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { EnkashAuthError } from '../lib/errors/enkash-auth.error.js';
import {
  createRedisTokenStore,
  REDIS_TOKEN_STORE_DEFAULTS,
  type RedisTokenStore,
  type RedisTokenStoreOptions,
} from '../lib/store/redis-token-store.js';
import { freeLoopbackPort } from './support/ports.js';
import { recordingLogger } from './support/recording-logger.js';
import { stopWatchingResources, watchResources } from './support/resource-watch.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { sleep } from './support/waiting.js';

/** Short, so that the outage tests stay quick; the defaults have a test of their own. */
const OPERATION_TIMEOUT_MS = 300;
/** How much later than its timeout an operation may settle on a loaded machine. */
const SLACK_MS = 250;
const PREFIX = REDIS_TOKEN_STORE_DEFAULTS.keyPrefix;
/** The client secret the stores of these tests seal their tokens with. */
const CLIENT_SECRET = 'store-test-client-s3cret';

let server: RedisServer;
/** Servers of one test (for outages), stores and clients: all closed after each test, whatever happened. */
const testServers: RedisServer[] = [];
const stores: RedisTokenStore[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  stopWatchingResources();
  // Thawed first, so that stores close as they would in production rather than wait on a frozen server.
  for (const each of testServers) each.resume();
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(clients.splice(0).map((client) => closeClient(client)));
  await Promise.all(testServers.splice(0).map((each) => each.close()));
});

afterAll(async () => {
  await server?.close();
});

async function openStore(
  options: Partial<RedisTokenStoreOptions> = {},
  on: RedisServer = server,
): Promise<RedisTokenStore> {
  const store = await createRedisTokenStore({
    ...(options.client === undefined ? { url: on.url } : {}),
    clientSecret: CLIENT_SECRET,
    // Values it cannot read are reported there: test/redis-token-at-rest.e2e-spec.ts reads what it says.
    logger: recordingLogger(),
    operationTimeoutMs: OPERATION_TIMEOUT_MS,
    ...options,
  });
  stores.push(store);
  return store;
}

async function ownServer(): Promise<RedisServer> {
  const started = await startRedisServer();
  testServers.push(started);
  return started;
}

/** The connections a store opened: its command connection and, once something listens, its subscriber. */
function connectionsOf(store: RedisTokenStore): Redis[] {
  const internals = store as unknown as { client: Redis; subscriber?: Redis };
  return internals.subscriber === undefined
    ? [internals.client]
    : [internals.client, internals.subscriber];
}

async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise((resolve) => client.once('end', resolve));
  client.disconnect();
  await ended;
}

function tokenFor(lifeMs: number, accessToken = `access-${randomUUID()}`) {
  return { accessToken, refreshToken: `refresh-${randomUUID()}`, expiresAt: Date.now() + lifeMs };
}

/** How long `action` took to settle, and how. */
async function timed(action: () => Promise<unknown>): Promise<{ ms: number; error?: Error }> {
  const started = performance.now();
  try {
    await action();
    return { ms: performance.now() - started };
  } catch (error) {
    return { ms: performance.now() - started, error: error as Error };
  }
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

/** How many connections of `on` are subscribed to `channel`. */
async function subscribers(channel: string, on: RedisServer = server): Promise<number> {
  const reply = (await on.command('PUBSUB', 'NUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

async function subscribed(channel: string, on: RedisServer = server): Promise<void> {
  await eventually(async () => (await subscribers(channel, on)) === 1, `${channel} subscribed`);
}

/** Every operation of the store rejects within its timeout, with a message naming no value. */
async function expectEveryOperationToFailFast(store: RedisTokenStore, key: string): Promise<void> {
  const token = tokenFor(60_000);
  const operations: Record<string, () => Promise<unknown>> = {
    get: () => store.get(key),
    set: () => store.set(key, token),
    acquireLock: () => store.acquireLock(key, 'owner-secret', 5_000),
    releaseLock: () => store.releaseLock(key, 'owner-secret'),
  };
  for (const [operation, action] of Object.entries(operations)) {
    const { ms, error } = await timed(action);
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toContain(`token store's ${operation}`);
    for (const secret of [token.accessToken, token.refreshToken, 'owner-secret']) {
      expect(error?.message).not.toContain(secret);
    }
    expect(ms).toBeLessThan(OPERATION_TIMEOUT_MS + SLACK_MS);
  }
}

describe('RedisTokenStore on a real Redis', () => {
  describe('sharing a token', () => {
    it('round-trips a token, with its expiry kept as the TTL of a key holding only the two tokens, sealed', async () => {
      const store = await openStore();
      const key = randomUUID();
      const token = tokenFor(60_000);

      const before = Date.now();
      await expect(store.set(key, token)).resolves.toBe(true);
      const read = await store.get(key);
      const roundTrips = Date.now() - before;
      expect(read).toEqual({ ...token, expiresAt: expect.any(Number) });
      // The expiry travels as a TTL in milliseconds: it is off by the time the two commands took to reach Redis and
      // come back, give or take the rounding of a few milliseconds, and by no more (a loaded machine stretches that
      // time, not the error beyond it).
      expect(Math.abs((read?.expiresAt ?? 0) - token.expiresAt)).toBeLessThanOrEqual(
        roundTrips + 5,
      );

      const written = (await server.dump()).filter((entry) => entry.key.includes(key));
      expect(written).toEqual([
        {
          key: `${PREFIX}token:{${key}}`,
          value: expect.stringMatching(/^v1:/),
          ttlMs: expect.any(Number),
        },
      ]);
      expect(written[0]?.ttlMs).toBeGreaterThan(59_000);
      expect(written[0]?.ttlMs).toBeLessThanOrEqual(60_000);
    });

    it('keeps a token without refresh token without one, and answers undefined for an unknown key', async () => {
      const store = await openStore();
      const key = randomUUID();
      await store.set(key, { accessToken: 'only-access', expiresAt: Date.now() + 60_000 });
      const read = await store.get(key);
      expect(read?.accessToken).toBe('only-access');
      expect(read).not.toHaveProperty('refreshToken');
      await expect(store.get(randomUUID())).resolves.toBeUndefined();
    });

    it('gives a reader whose clock is an hour ahead the same remaining lifetime', async () => {
      const writer = await openStore();
      const reader = await openStore();
      const key = randomUUID();
      await writer.set(key, tokenFor(60_000));

      const skewedNow = Date.now() + 3_600_000;
      const clock = jest.spyOn(Date, 'now').mockReturnValue(skewedNow);
      try {
        const read = await reader.get(key);
        expect((read?.expiresAt ?? 0) - skewedNow).toBeGreaterThan(59_000);
        expect((read?.expiresAt ?? 0) - skewedNow).toBeLessThanOrEqual(60_000);
      } finally {
        clock.mockRestore();
      }
    });

    it('forgets a token once its lifetime has passed', async () => {
      const store = await openStore();
      const key = randomUUID();
      await store.set(key, tokenFor(150));
      await sleep(250);
      await expect(store.get(key)).resolves.toBeUndefined();
    });

    it('refuses an expired token, and never replaces a longer-lived token with a shorter-lived one', async () => {
      const early = await openStore();
      const late = await openStore();
      const key = randomUUID();
      await expect(late.set(key, tokenFor(-1))).resolves.toBe(false);
      await expect(late.get(key)).resolves.toBeUndefined();

      const newer = tokenFor(60_000);
      await expect(late.set(key, newer)).resolves.toBe(true);
      await expect(early.set(key, tokenFor(30_000))).resolves.toBe(false);
      await expect(early.get(key)).resolves.toMatchObject({ accessToken: newer.accessToken });

      const newest = tokenFor(90_000);
      await expect(early.set(key, newest)).resolves.toBe(true);
      await expect(late.get(key)).resolves.toMatchObject({ accessToken: newest.accessToken });
    });

    it('reads a value that is not one of its tokens as no token, and writes over it', async () => {
      const store = await openStore();
      const key = randomUUID();
      const tokenKey = `${PREFIX}token:{${key}}`;
      const malformed = [
        'not json',
        '[1,2]',
        'null',
        '{"refreshToken":"r"}',
        '{"accessToken":""}',
        '{"accessToken":"a","refreshToken":5}',
      ];
      for (const value of malformed) {
        await server.command('SET', tokenKey, value, 'PX', 60_000);
        await expect(store.get(key)).resolves.toBeUndefined();
      }
      await server.command('SET', tokenKey, '{"accessToken":"no-ttl"}');
      await expect(store.get(key)).resolves.toBeUndefined();
      await server.command('DEL', tokenKey);
      await server.command('HSET', tokenKey, 'accessToken', 'a-hash');
      await expect(store.get(key)).resolves.toBeUndefined();

      await expect(store.set(key, tokenFor(60_000, 'fresh'))).resolves.toBe(true);
      await expect(store.get(key)).resolves.toMatchObject({ accessToken: 'fresh' });
    });

    it('honours keyPrefix in every key and channel', async () => {
      const store = await openStore({ keyPrefix: 'my-app:' });
      const key = randomUUID();
      store.onTokenWritten(key, () => undefined);
      await store.set(key, tokenFor(60_000));
      await store.acquireLock(key, 'instance-a', 5_000);

      const keys = (await server.dump()).map((entry) => entry.key).filter((k) => k.includes(key));
      expect(keys).toEqual([`my-app:lock:{${key}}`, `my-app:token:{${key}}`]);
      await subscribed(`my-app:written:${key}`);
    });

    it('works with the defaults, from createRedisTokenStore({ url }) alone', async () => {
      const store = await createRedisTokenStore({ url: server.url, clientSecret: CLIENT_SECRET });
      stores.push(store);
      const key = randomUUID();
      const token = tokenFor(60_000);
      await expect(store.set(key, token)).resolves.toBe(true);
      await expect(store.get(key)).resolves.toMatchObject({ accessToken: token.accessToken });
      const keys = (await server.dump()).map((entry) => entry.key);
      expect(keys).toContain(`enkash-auth:token:{${key}}`);
    });
  });

  describe('onTokenWritten', () => {
    it('tells a listener of another instance, on another connection, of each write of its key', async () => {
      const writer = await openStore();
      const listening = await openStore();
      const key = randomUUID();
      const heard: string[] = [];
      listening.onTokenWritten(key, () => heard.push('key'));
      listening.onTokenWritten(randomUUID(), () => heard.push('other key'));
      await subscribed(`${PREFIX}written:${key}`);

      await writer.set(key, tokenFor(60_000));
      await eventually(async () => heard.length === 1, 'the write heard');
      await writer.set(key, tokenFor(30_000));
      await writer.set(key, tokenFor(90_000));
      await eventually(async () => heard.length === 2, 'the second write heard');
      await sleep(50);
      expect(heard).toEqual(['key', 'key']);
    });

    it('tells the listeners of another instance of a renewal announced and of a lock released, each apart', async () => {
      const renewer = await openStore();
      const listening = await openStore();
      const key = randomUUID();
      const heard: string[] = [];
      listening.onTokenWritten(key, () => heard.push('written or released'));
      listening.onRenewalAnnounced(key, () => heard.push('renewing'));
      await subscribed(`${PREFIX}written:${key}`);

      await renewer.announceRenewal(key);
      await eventually(async () => heard.length === 1, 'the announcement heard');
      expect(await renewer.acquireLock(key, 'renewer', 5_000)).toBe(true);
      await renewer.releaseLock(key, 'renewer');
      await eventually(async () => heard.length === 2, 'the release heard');
      await renewer.releaseLock(key, 'renewer'); // no longer its lock: nothing published
      await sleep(50);
      expect(heard).toEqual(['renewing', 'written or released']);
    });

    it('stops listening when told, unsubscribing with the last listener of a key', async () => {
      const writer = await openStore();
      const listening = await openStore();
      const key = randomUUID();
      const channel = `${PREFIX}written:${key}`;
      const stopped = jest.fn();
      const kept = jest.fn();
      const stop = listening.onTokenWritten(key, stopped);
      const stopKept = listening.onTokenWritten(key, kept);
      await subscribed(channel);

      stop();
      await writer.set(key, tokenFor(60_000));
      await eventually(async () => kept.mock.calls.length === 1, 'the write heard');
      expect(stopped).not.toHaveBeenCalled();

      stopKept();
      await eventually(async () => (await subscribers(channel)) === 0, 'unsubscribed');
    });

    it('lets a throwing listener break neither the others nor the connection', async () => {
      const writer = await openStore();
      const listening = await openStore();
      const key = randomUUID();
      const kept = jest.fn();
      listening.onTokenWritten(key, () => {
        throw new Error('listener bug');
      });
      listening.onTokenWritten(key, (async () => {
        throw new Error('async listener bug');
      }) as () => void);
      listening.onTokenWritten(key, kept);
      await subscribed(`${PREFIX}written:${key}`);

      await writer.set(key, tokenFor(60_000));
      await writer.set(key, tokenFor(90_000));
      await eventually(async () => kept.mock.calls.length === 2, 'both writes heard');
    });
  });

  describe('renewal lock', () => {
    it('refuses another owner, ignores its release, and passes on once its holder releases', async () => {
      const a = await openStore();
      const b = await openStore();
      const key = randomUUID();
      await expect(a.acquireLock(key, 'instance-a', 5_000)).resolves.toBe(true);
      await expect(b.acquireLock(key, 'instance-b', 5_000)).resolves.toBe(false);

      await b.releaseLock(key, 'instance-b');
      await expect(b.acquireLock(key, 'instance-b', 5_000)).resolves.toBe(false);
      const lock = (await server.dump()).find((entry) => entry.key === `${PREFIX}lock:{${key}}`);
      expect(lock?.value).toBe('instance-a');
      expect(lock?.ttlMs).toBeGreaterThan(4_000);

      await a.releaseLock(key, 'instance-a');
      await expect(b.acquireLock(key, 'instance-b', 5_000)).resolves.toBe(true);
    });

    it('gives its holder the lock again, for a new TTL', async () => {
      const store = await openStore();
      const key = randomUUID();
      await store.acquireLock(key, 'instance-a', 1_000);
      await expect(store.acquireLock(key, 'instance-a', 5_000)).resolves.toBe(true);
      const lock = (await server.dump()).find((entry) => entry.key === `${PREFIX}lock:{${key}}`);
      expect(lock?.ttlMs).toBeGreaterThan(4_000);
    });

    it('expires after its TTL, and then another owner takes it', async () => {
      const a = await openStore();
      const b = await openStore();
      const key = randomUUID();
      await a.acquireLock(key, 'instance-a', 150);
      await expect(b.acquireLock(key, 'instance-b', 5_000)).resolves.toBe(false);
      await sleep(250);
      await expect(b.acquireLock(key, 'instance-b', 5_000)).resolves.toBe(true);
      await a.releaseLock(key, 'instance-a');
      await expect(a.acquireLock(key, 'instance-a', 5_000)).resolves.toBe(false);
    });
  });

  describe('when Redis is unavailable', () => {
    it('fails every operation fast while Redis is stopped, and works again, listening included, once it is back', async () => {
      const own = await ownServer();
      const listening = await openStore({}, own);
      const writer = await openStore({}, own);
      const key = randomUUID();
      const laterKey = randomUUID();
      const heard: string[] = [];
      listening.onTokenWritten(key, () => heard.push('key'));
      await subscribed(`${PREFIX}written:${key}`, own);
      await writer.set(key, tokenFor(60_000));
      await eventually(async () => heard.length === 1, 'the write before the outage heard');

      await own.stop();
      await expectEveryOperationToFailFast(writer, key);
      await expectEveryOperationToFailFast(listening, key);
      listening.onTokenWritten(laterKey, () => heard.push('later key'));

      await own.start();
      await eventually(
        async () => (await writer.get(randomUUID())) === undefined,
        'Redis used again',
      );
      await subscribed(`${PREFIX}written:${key}`, own);
      await subscribed(`${PREFIX}written:${laterKey}`, own);
      await writer.set(key, tokenFor(60_000));
      await writer.set(laterKey, tokenFor(60_000));
      await eventually(async () => heard.length === 3, 'the writes after the outage heard');
      expect([...heard].sort()).toEqual(['key', 'key', 'later key']);
    });

    it('fails every operation within its timeout while Redis does not answer, and works again after', async () => {
      const own = await ownServer();
      const store = await openStore({}, own);
      const key = randomUUID();
      await store.set(key, tokenFor(60_000));

      own.pause();
      const { ms, error } = await timed(() => store.get(key));
      expect(error?.message).toBe(
        `Redis did not answer the token store's get within ${OPERATION_TIMEOUT_MS} ms`,
      );
      expect(ms).toBeGreaterThanOrEqual(OPERATION_TIMEOUT_MS - 5);
      await expectEveryOperationToFailFast(store, key);

      own.resume();
      await eventually(async () => (await store.get(key)) !== undefined, 'Redis used again');
    });

    it('rejects operations to a server that never was, naming neither its password nor a value, silently', async () => {
      const port = await freeLoopbackPort();
      const store = await openStore({ url: `redis://:pass-s3cret@127.0.0.1:${port}` });
      const key = randomUUID();
      store.onTokenWritten(key, () => undefined);
      await sleep(100);
      await expectEveryOperationToFailFast(store, key);
      const failures = await Promise.all(
        [store.get(key), store.set(key, tokenFor(60_000))].map((operation) =>
          operation.then(
            () => new Error('resolved'),
            (error: Error) => error,
          ),
        ),
      );
      for (const { message } of failures) expect(message).not.toContain('pass-s3cret');
      // ioredis prints every error of a connection without an 'error' listener ("Unhandled error event"), but
      // not under jest, where Node's errors are of another realm: hence a look at the connections themselves.
      for (const connection of connectionsOf(store)) {
        expect(connection.listenerCount('error')).toBeGreaterThan(0);
      }
    });

    it('is used again within about a second of Redis coming back after a long outage', async () => {
      const own = await ownServer();
      const store = await openStore({}, own);
      await store.get(randomUUID());
      await own.stop();
      // Long enough for ioredis's default backoff (x2 per attempt, up to 5 s) to wait 2 s or more for its next try.
      await sleep(4_500);
      await own.start();
      const { ms } = await timed(() =>
        eventually(async () => (await store.get(randomUUID())) === undefined, 'Redis used again'),
      );
      expect(ms).toBeLessThan(1_000 + SLACK_MS);
    });
  });

  describe('close()', () => {
    it('leaves no socket or timer behind', async () => {
      const before = watchResources();
      const writer = await openStore();
      const listening = await openStore();
      const key = randomUUID();
      listening.onTokenWritten(key, () => undefined);
      await subscribed(`${PREFIX}written:${key}`);
      await writer.set(key, tokenFor(60_000));
      await writer.acquireLock(key, 'instance-a', 5_000);

      await Promise.all([writer.close(), listening.close()]);
      expect(before.added()).toEqual({});
      await expect(writer.get(key)).rejects.toThrow('The Redis token store is closed');
      expect(listening.onTokenWritten(key, () => undefined)).toEqual(expect.any(Function));
      await expect(writer.close()).resolves.toBeUndefined();
    });

    it('leaves nothing behind, quickly, while Redis is stopped', async () => {
      const own = await ownServer();
      const before = watchResources();
      const store = await openStore({}, own);
      const key = randomUUID();
      store.onTokenWritten(key, () => undefined);
      await subscribed(`${PREFIX}written:${key}`, own);
      await own.stop();
      await eventually(
        async () => (await timed(() => store.get(key))).error !== undefined,
        'the outage noticed',
      );
      store.onTokenWritten(randomUUID(), () => undefined);

      const { ms } = await timed(() => store.close());
      expect(ms).toBeLessThan(OPERATION_TIMEOUT_MS + SLACK_MS);
      expect(before.added()).toEqual({});
    });

    it('leaves nothing behind, within its bound, while Redis does not answer', async () => {
      const own = await ownServer();
      const before = watchResources();
      const store = await openStore({}, own);
      const key = randomUUID();
      store.onTokenWritten(key, () => undefined);
      await subscribed(`${PREFIX}written:${key}`, own);
      await store.set(key, tokenFor(60_000));
      own.pause();

      const { ms } = await timed(() => store.close());
      expect(ms).toBeLessThan(2 * OPERATION_TIMEOUT_MS + SLACK_MS);
      expect(before.added()).toEqual({});
    });

    it("leaves the application's own client open, and closes only the connection it added", async () => {
      const client = new Redis(server.url);
      clients.push(client);
      await client.ping();
      const before = watchResources();
      const store = await openStore({ client });
      const key = randomUUID();
      store.onTokenWritten(key, () => undefined);
      await subscribed(`${PREFIX}written:${key}`);
      await expect(store.set(key, tokenFor(60_000))).resolves.toBe(true);

      await store.close();
      expect(client.status).toBe('ready');
      await expect(client.ping()).resolves.toBe('PONG');
      expect(before.added()).toEqual({});
      expect(await subscribers(`${PREFIX}written:${key}`)).toBe(0);
    });
  });

  describe('createRedisTokenStore', () => {
    it('refuses options that name no Redis, or two, or no client secret, as a configuration error naming no secret', async () => {
      const client = new Redis(server.url, { lazyConnect: true });
      clients.push(client);
      const clientSecret = 'pass-s3cret-of-the-client';
      const invalid: RedisTokenStoreOptions[] = [
        { clientSecret },
        { url: server.url, client, clientSecret },
        { url: 'http://user:pass-s3cret@example.com', clientSecret },
        { url: server.url, operationTimeoutMs: 0, clientSecret },
        { client, operationTimeoutMs: Number.NaN, clientSecret },
        { url: server.url } as RedisTokenStoreOptions,
        { url: server.url, clientSecret: '' },
        { clusterNodes: [server.url], url: server.url, clientSecret },
        { sentinels: ['redis://127.0.0.1:26379'], clientSecret },
        {
          url: 'redis://:pass-s3cret@mymaster:6379',
          sentinels: ['redis://127.0.0.1:26379'],
          clientSecret,
        },
        {
          url: 'redis://mymaster',
          sentinels: ['redis://:pass-s3cret@127.0.0.1:26379/2'],
          clientSecret,
        },
        { clusterNodes: [], clientSecret },
        {
          clusterNodes: ['redis://:pass-s3cret@127.0.0.1:7000', 'redis://127.0.0.1:7001'],
          clientSecret,
        },
      ];
      for (const options of invalid) {
        const error = await createRedisTokenStore(options).then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
        expect(error).toBeInstanceOf(EnkashAuthError);
        expect(error).toMatchObject({ code: 'config', retryable: false });
        expect((error as Error).message).not.toContain('pass-s3cret');
      }
      // Every refusal came before a connection was opened.
      expect(client.status).toBe('wait');
    });
  });
});
