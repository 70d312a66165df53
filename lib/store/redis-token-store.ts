import type { Redis } from 'ioredis';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import {
  closeConnection,
  commandConnectionOptions,
  ignoreConnectionError,
  sendWithin,
  subscriberConnectionOverrides,
} from './redis-connections.js';
import {
  ACQUIRE_SCRIPT,
  encodeToken,
  parseStoredToken,
  READ_SCRIPT,
  RELEASE_SCRIPT,
  WRITE_SCRIPT,
} from './redis-scripts.js';
import type { SharedEnkashToken, TokenStore } from './token-store.interface.js';
import { assertLockTtl, callSafely } from './token-store.shared.js';

/** Where {@link createRedisTokenStore} finds Redis, and how the store uses it. */
export interface RedisTokenStoreOptions {
  /**
   * `redis://[:password@]host[:port][/db]`, or `rediss://` for TLS. The store opens its own connections and closes
   * them in {@link RedisTokenStore.close}. Exactly one of `url` and `client`.
   */
  url?: string;
  /**
   * A client of the application's own, instead of `url`. The store sends its commands through it and duplicates
   * it for pub/sub; {@link RedisTokenStore.close} closes only the duplicate. Exactly one of `url` and `client`.
   */
  client?: Redis;
  /** Prefix of every key and channel of the store, so that applications can share a Redis. Default: `enkash-auth:`. */
  keyPrefix?: string;
  /**
   * How long one operation may take before it rejects, in milliseconds: a caller waiting for a token carries on
   * without the store rather than wait for Redis. Default: `500`.
   */
  operationTimeoutMs?: number;
}

/** Defaults of {@link RedisTokenStoreOptions}. */
export const REDIS_TOKEN_STORE_DEFAULTS = {
  keyPrefix: 'enkash-auth:',
  operationTimeoutMs: 500,
} as const;

/** Clients the store created from a URL, hence closes; an application's own client is never in it. */
const ownedClients = new WeakSet<Redis>();

/** One call of {@link RedisTokenStore.onTokenWritten}. */
interface Subscription {
  readonly listener: () => void;
}

/**
 * A {@link TokenStore} on Redis, shared by every instance of an application. A token's expiry is its key's TTL, not
 * a timestamp, so that instances whose clocks disagree still agree on how long it lives. Every operation settles
 * within `operationTimeoutMs`, whether Redis is down, slow or stopped.
 */
export class RedisTokenStore implements TokenStore {
  private readonly keyPrefix: string;
  private readonly operationTimeoutMs: number;
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private subscriber: Redis | undefined;
  private closing: Promise<void> | undefined;

  /**
   * Uses `client` for commands; {@link createRedisTokenStore} is the usual way in. A client passed here is the
   * application's own: it is left open by {@link RedisTokenStore.close}.
   */
  constructor(
    private readonly client: Redis,
    options: Pick<RedisTokenStoreOptions, 'keyPrefix' | 'operationTimeoutMs'> = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? REDIS_TOKEN_STORE_DEFAULTS.keyPrefix;
    this.operationTimeoutMs =
      options.operationTimeoutMs ?? REDIS_TOKEN_STORE_DEFAULTS.operationTimeoutMs;
    checkSettings(this.keyPrefix, this.operationTimeoutMs);
  }

  /** The token held under `key`; `undefined` when there is none, it has expired, or the value is not one of ours. */
  async get(key: string): Promise<SharedEnkashToken | undefined> {
    const reply = await this.run('get', () => this.client.eval(READ_SCRIPT, 1, this.tokenKey(key)));
    return parseStoredToken(reply, Date.now());
  }

  /** Holds `token` with a TTL of its remaining lifetime, unless the held one lives longer. */
  async set(key: string, token: SharedEnkashToken): Promise<boolean> {
    const ttlMs = Math.floor(token.expiresAt - Date.now());
    if (!(ttlMs > 0)) return false;
    const value = encodeToken(token);
    const channel = this.channelOf(key);
    const reply = await this.run('set', () =>
      this.client.eval(WRITE_SCRIPT, 1, this.tokenKey(key), value, ttlMs, channel),
    );
    return reply === 1;
  }

  /** Takes the lock of `key` for `owner` for `ttlMs`, unless another owner holds it; its holder renews it. */
  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    assertLockTtl(ttlMs);
    const reply = await this.run('acquireLock', () =>
      this.client.eval(ACQUIRE_SCRIPT, 1, this.lockKey(key), owner, ttlMs),
    );
    return reply === 1;
  }

  /** Releases the lock of `key` only if `owner` still holds it. */
  async releaseLock(key: string, owner: string): Promise<void> {
    await this.run('releaseLock', () =>
      this.client.eval(RELEASE_SCRIPT, 1, this.lockKey(key), owner),
    );
  }

  /**
   * Calls `listener` after each write under `key` by any instance. The channel is subscribed on a connection of
   * its own, which ioredis subscribes again after each reconnection.
   */
  onTokenWritten(key: string, listener: () => void): () => void {
    if (this.closing !== undefined) return () => undefined;
    const channel = this.channelOf(key);
    const subscription: Subscription = { listener };
    let subscriptions = this.subscriptions.get(channel);
    if (subscriptions === undefined) {
      subscriptions = new Set();
      this.subscriptions.set(channel, subscriptions);
      // A failure needs no handling: the offline queue sends it once connected, and resubscription keeps it.
      this.subscriberConnection().subscribe(channel).catch(ignoreConnectionError);
    }
    subscriptions.add(subscription);
    const current = subscriptions;
    return () => {
      if (!current.delete(subscription) || current.size > 0) return;
      if (this.subscriptions.get(channel) !== current) return;
      this.subscriptions.delete(channel);
      if (this.closing === undefined) {
        this.subscriber?.unsubscribe(channel).catch(ignoreConnectionError);
      }
    };
  }

  /**
   * Stops listening and closes the connections the store opened, within `operationTimeoutMs` plus 250 ms at most,
   * even while Redis is down or frozen. An application's own client stays open. Later operations reject.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.subscriptions.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    subscriber?.removeAllListeners('message');
    const timeoutMs = this.operationTimeoutMs;
    await Promise.all([
      subscriber === undefined
        ? undefined
        : closeConnection(subscriber, { quit: false, timeoutMs }),
      ownedClients.has(this.client)
        ? closeConnection(this.client, { quit: true, timeoutMs })
        : undefined,
    ]);
  }

  /** The pub/sub connection, opened when the first listener arrives. */
  private subscriberConnection(): Redis {
    if (this.subscriber === undefined) {
      const subscriber = this.client.duplicate(
        subscriberConnectionOverrides(this.operationTimeoutMs),
      );
      subscriber.on('error', ignoreConnectionError);
      subscriber.on('message', (channel: string) => {
        const subscriptions = this.subscriptions.get(channel);
        if (subscriptions === undefined) return;
        for (const subscription of [...subscriptions]) {
          if (subscriptions.has(subscription)) callSafely(subscription.listener);
        }
      });
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }

  /** Runs one command, unless the store is closed, within `operationTimeoutMs`. */
  private run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) {
      return Promise.reject(new Error(`The Redis token store is closed: no ${operation}`));
    }
    return sendWithin(this.client, operation, this.operationTimeoutMs, command);
  }

  private tokenKey(key: string): string {
    return `${this.keyPrefix}token:${key}`;
  }

  private lockKey(key: string): string {
    return `${this.keyPrefix}lock:${key}`;
  }

  private channelOf(key: string): string {
    return `${this.keyPrefix}written:${key}`;
  }
}

/**
 * Opens a {@link RedisTokenStore} on `options.url`, loading the optional dependency ioredis, or on
 * `options.client`. Never waits for Redis: operations issued while it connects wait for it, within their timeout.
 */
export async function createRedisTokenStore(
  options: RedisTokenStoreOptions,
): Promise<RedisTokenStore> {
  const { url, client, ...settings } = options;
  if (client !== undefined) {
    if (url !== undefined) throw configError('takes a url or a client, not both');
    return new RedisTokenStore(client, settings);
  }
  if (typeof url !== 'string' || !/^rediss?:\/\/./.test(url)) {
    // The URL is not echoed: it may hold a password.
    throw configError('needs a client or a redis:// or rediss:// url');
  }
  const operationTimeoutMs =
    settings.operationTimeoutMs ?? REDIS_TOKEN_STORE_DEFAULTS.operationTimeoutMs;
  checkSettings(settings.keyPrefix ?? REDIS_TOKEN_STORE_DEFAULTS.keyPrefix, operationTimeoutMs);
  const RedisClient = await loadIoredis();
  const created = new RedisClient(url, commandConnectionOptions(operationTimeoutMs));
  created.on('error', ignoreConnectionError);
  ownedClients.add(created);
  return new RedisTokenStore(created, settings);
}

/** ioredis's client class, loaded only when a URL is given: applications without Redis need not install it. */
async function loadIoredis(): Promise<typeof Redis> {
  try {
    const { Redis } = await import('ioredis');
    return Redis;
  } catch {
    throw new EnkashAuthError(
      'config',
      'The `redis` option (or ENKASH_REDIS_URL) needs the optional dependency ioredis, which is not installed: ' +
        'npm install ioredis',
    );
  }
}

function checkSettings(keyPrefix: unknown, operationTimeoutMs: unknown): void {
  if (typeof keyPrefix !== 'string') throw configError('needs a string keyPrefix');
  if (!Number.isSafeInteger(operationTimeoutMs) || (operationTimeoutMs as number) < 1) {
    throw configError(
      'needs an operationTimeoutMs that is a whole number of milliseconds, at least 1',
    );
  }
}

function configError(problem: string): EnkashAuthError {
  return new EnkashAuthError('config', `The Redis token store ${problem}`);
}
