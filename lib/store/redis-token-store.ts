import { Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { storedTokenUnreadable } from '../enkash-auth.messages.js';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import {
  closeConnection,
  commandConnectionOptions,
  ignoreConnectionError,
  sendWithin,
  subscriberConnectionOf,
  type RedisConnection,
} from './redis-connections.js';
import {
  ACQUIRE_SCRIPT,
  decodeToken,
  encodeToken,
  parseReadReply,
  READ_SCRIPT,
  RELEASE_SCRIPT,
  RENEWING_NOTICE,
  WRITE_SCRIPT,
} from './redis-scripts.js';
import {
  clusterClientArguments,
  RedisTopologyProblem,
  sentinelClientOptions,
} from './redis-topology.js';
import { tokenCipher, type TokenCipher, type UnreadableReason } from './token-at-rest.js';
import type { SharedEnkashToken, TokenStore } from './token-store.interface.js';
import { assertLockTtl, callSafely } from './token-store.shared.js';

/**
 * Where {@link createRedisTokenStore} finds Redis, how the store uses it, and the secret its tokens are sealed with.
 * Redis is given by exactly one of `url` (with or without `sentinels`), `clusterNodes` and `client`.
 */
export interface RedisTokenStoreOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. The store opens its own connections and
   * closes them in {@link RedisTokenStore.close}. With `sentinels`, the primary as the sentinels name it:
   * `redis://[[user]:password@]<name>[/db]` (the credentials and TLS being the primary's).
   */
  url?: string;
  /**
   * The sentinels to ask where the primary named by `url` is, each `redis://[[user]:password@]host[:port]` (port
   * 26379 unless given; credentials only when the sentinels require their own), or `rediss://` for TLS. After a
   * failover the store's connections follow the new primary.
   */
  sentinels?: readonly string[];
  /**
   * A Redis Cluster, instead of `url`: the URLs of some of its nodes (`redis://[[user]:password@]host:port` or
   * `rediss://`, all with the same credentials), from which the client discovers the others.
   */
  clusterNodes?: readonly string[];
  /**
   * A client of the application's own, instead of `url` or `clusterNodes`: a `Redis` (to one server, or to a primary
   * behind Sentinel) or a `Cluster`. The store sends its commands through it and duplicates it for pub/sub;
   * {@link RedisTokenStore.close} closes only the duplicate.
   */
  client?: Redis | Cluster;
  /**
   * The EnKash client secret of the account whose token the store holds. The key that encrypts the tokens in Redis
   * (AES-256-GCM) is derived from it, and from the account's store key, so that every replica of the account
   * derives the same key without one more secret to configure, and no one who only reads Redis has it. Never
   * stored or logged. A store shared by registrations of several accounts seals all their tokens under this one.
   */
  clientSecret: string;
  /** Prefix of every key and channel of the store, so that applications can share a Redis. Default: `enkash-auth:`. */
  keyPrefix?: string;
  /**
   * How long one operation may take before it rejects, in milliseconds: a caller waiting for a token carries on
   * without the store rather than wait for Redis. Default: `500`.
   */
  operationTimeoutMs?: number;
  /**
   * Where the store reports a value in Redis it cannot read (never its content). Default: Nest's `Logger` with the
   * context `EnkashAuth`.
   */
  logger?: Pick<LoggerService, 'warn'>;
}

/** Defaults of {@link RedisTokenStoreOptions}. */
export const REDIS_TOKEN_STORE_DEFAULTS = {
  keyPrefix: 'enkash-auth:',
  operationTimeoutMs: 500,
} as const;

/** The library's logger context (enkash-auth.constants.ts imports this file: a constant of its would be a cycle). */
const DEFAULT_LOGGER_CONTEXT = 'EnkashAuth';

/** Clients the store created from a URL or seed nodes, hence closes; an application's own client is never in it. */
const ownedClients = new WeakSet<RedisConnection>();

/** What a message on an account's channel says: a token written (or the lock released), or a renewal announced. */
type Notice = 'written' | 'renewing';

/** One call of {@link RedisTokenStore.onTokenWritten} or {@link RedisTokenStore.onRenewalAnnounced}. */
interface Subscription {
  readonly notice: Notice;
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
  private readonly clientSecret: string;
  private readonly logger: Pick<LoggerService, 'warn'>;
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  /** The cipher of each store key (account) seen, derived once. */
  private readonly ciphers = new Map<string, TokenCipher>();
  /** Token keys whose value could not be read, and why: reported once, until a value there reads again. */
  private readonly unreadable = new Map<string, UnreadableReason>();
  private subscriber: RedisConnection | undefined;
  private closing: Promise<void> | undefined;

  /**
   * Uses `client` (a `Redis`, to one server or to a primary behind Sentinel, or a `Cluster`) for commands;
   * {@link createRedisTokenStore} is the usual way in. A client passed here is the application's own: it is left
   * open by {@link RedisTokenStore.close}.
   *
   * @throws EnkashAuthError with code `config` when a setting is invalid (naming it, never a secret's value).
   */
  constructor(
    private readonly client: Redis | Cluster,
    options: Pick<
      RedisTokenStoreOptions,
      'clientSecret' | 'keyPrefix' | 'operationTimeoutMs' | 'logger'
    >,
  ) {
    const settings = checkSettings(options);
    this.keyPrefix = settings.keyPrefix;
    this.operationTimeoutMs = settings.operationTimeoutMs;
    this.clientSecret = settings.clientSecret;
    this.logger = options.logger ?? new Logger(DEFAULT_LOGGER_CONTEXT);
  }

  /**
   * The token held under `key`; `undefined` when there is none, it has expired, or the value is not one this store
   * can read (not sealed, sealed under another key, altered: reported once, without its content).
   */
  async get(key: string): Promise<SharedEnkashToken | undefined> {
    const tokenKey = this.tokenKey(key);
    const reply = await this.run('get', () => this.client.eval(READ_SCRIPT, 1, tokenKey));
    const read = parseReadReply(reply);
    if (read === undefined) return undefined;
    const opened = this.cipherOf(key).open(read.value, tokenKey);
    if (!opened.ok) {
      if (this.unreadable.get(tokenKey) !== opened.reason) {
        this.unreadable.set(tokenKey, opened.reason);
        this.logger.warn(storedTokenUnreadable(tokenKey, opened.reason));
      }
      return undefined;
    }
    this.unreadable.delete(tokenKey);
    return decodeToken(opened.plaintext, Date.now() + read.pttlMs);
  }

  /**
   * Holds `token`, sealed, with a TTL of its remaining lifetime, unless the held one lives longer; a held value this
   * store cannot read counts as none.
   */
  async set(key: string, token: SharedEnkashToken): Promise<boolean> {
    const ttlMs = Math.floor(token.expiresAt - Date.now());
    if (!(ttlMs > 0)) return false;
    const tokenKey = this.tokenKey(key);
    const cipher = this.cipherOf(key);
    const value = cipher.seal(encodeToken(token), tokenKey);
    const channel = this.channelOf(key);
    const reply = await this.run('set', () =>
      this.client.eval(WRITE_SCRIPT, 1, tokenKey, value, ttlMs, channel, cipher.prefix),
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

  /** Releases the lock of `key` only if `owner` still holds it, telling the listeners of `key` that it did. */
  async releaseLock(key: string, owner: string): Promise<void> {
    await this.run('releaseLock', () =>
      this.client.eval(RELEASE_SCRIPT, 1, this.lockKey(key), owner, this.channelOf(key)),
    );
  }

  /** Tells every instance listening to `key` that one is about to send the refresh grant. */
  async announceRenewal(key: string): Promise<void> {
    await this.run('announceRenewal', () =>
      this.client.publish(this.channelOf(key), RENEWING_NOTICE),
    );
  }

  /**
   * Calls `listener` after each write under `key` by any instance, and each release of its lock. The channel is
   * subscribed on a connection of its own, which ioredis subscribes again after each reconnection (on another node,
   * for a cluster's).
   */
  onTokenWritten(key: string, listener: () => void): () => void {
    return this.listen(key, 'written', listener);
  }

  /** Calls `listener` after any instance announced a renewal of `key`, on the same channel as the writes. */
  onRenewalAnnounced(key: string, listener: () => void): () => void {
    return this.listen(key, 'renewing', listener);
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

  private listen(key: string, notice: Notice, listener: () => void): () => void {
    if (this.closing !== undefined) return () => undefined;
    const channel = this.channelOf(key);
    const subscription: Subscription = { notice, listener };
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

  /** The pub/sub connection, opened when the first listener arrives. */
  private subscriberConnection(): RedisConnection {
    if (this.subscriber === undefined) {
      const subscriber = subscriberConnectionOf(this.client, this.operationTimeoutMs);
      subscriber.on('error', ignoreConnectionError);
      subscriber.on('message', (channel: string, message: string) => {
        const subscriptions = this.subscriptions.get(channel);
        if (subscriptions === undefined) return;
        const notice: Notice = message === RENEWING_NOTICE ? 'renewing' : 'written';
        for (const subscription of [...subscriptions]) {
          if (subscription.notice === notice && subscriptions.has(subscription)) {
            callSafely(subscription.listener);
          }
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

  private cipherOf(key: string): TokenCipher {
    let cipher = this.ciphers.get(key);
    if (cipher === undefined) {
      cipher = tokenCipher(this.clientSecret, key);
      this.ciphers.set(key, cipher);
    }
    return cipher;
  }

  /** The token key of an account: its store key as a hash tag, which the lock key shares (one cluster slot). */
  private tokenKey(key: string): string {
    return `${this.keyPrefix}token:{${key}}`;
  }

  private lockKey(key: string): string {
    return `${this.keyPrefix}lock:{${key}}`;
  }

  /** A channel is no key: a plain PUBLISH reaches the subscribers of every node of a cluster. */
  private channelOf(key: string): string {
    return `${this.keyPrefix}written:${key}`;
  }
}

/**
 * Opens a {@link RedisTokenStore} on `options.url` (one server, or the primary that `options.sentinels` name), or on
 * `options.clusterNodes`, loading the optional dependency ioredis; or on `options.client`. Never waits for Redis:
 * operations issued while it connects wait for it, within their timeout.
 *
 * @throws EnkashAuthError with code `config` when the options are invalid (naming the option, never a URL).
 */
export async function createRedisTokenStore(
  options: RedisTokenStoreOptions,
): Promise<RedisTokenStore> {
  const { url, sentinels, clusterNodes, client, ...rest } = options;
  const settings = checkSettings(rest);
  const targets = [url !== undefined, clusterNodes !== undefined, client !== undefined];
  if (targets.filter(Boolean).length !== 1) {
    throw configError('takes exactly one of url, clusterNodes and client');
  }
  if (sentinels !== undefined && url === undefined) {
    throw configError('takes sentinels only with a url that names the primary');
  }
  if (client !== undefined) return new RedisTokenStore(client, rest);
  const { operationTimeoutMs } = settings;
  const ioredis = await loadIoredis();
  let created: RedisConnection;
  if (clusterNodes !== undefined) {
    const { nodes, options: clusterOptions } = topology(() =>
      clusterClientArguments(urlList(clusterNodes, 'clusterNodes'), operationTimeoutMs),
    );
    created = new ioredis.Cluster(nodes, clusterOptions);
  } else if (sentinels !== undefined) {
    const sentinelOptions = topology(() =>
      sentinelClientOptions(String(url), urlList(sentinels, 'sentinels'), operationTimeoutMs),
    );
    created = new ioredis.Redis(sentinelOptions);
  } else {
    if (typeof url !== 'string' || !/^rediss?:\/\/./.test(url)) {
      // The URL is not echoed: it may hold a password.
      throw configError('needs a redis:// or rediss:// url');
    }
    created = new ioredis.Redis(url, commandConnectionOptions(operationTimeoutMs));
  }
  created.on('error', ignoreConnectionError);
  ownedClients.add(created);
  return new RedisTokenStore(created, rest);
}

/** ioredis's client classes, loaded only when the store opens its own connections. */
async function loadIoredis(): Promise<{ Redis: typeof Redis; Cluster: typeof Cluster }> {
  try {
    const { Redis, Cluster } = await import('ioredis');
    return { Redis, Cluster };
  } catch {
    throw new EnkashAuthError(
      'config',
      'The `redis` option (or ENKASH_REDIS_URL) needs the optional dependency ioredis, which is not installed: ' +
        'npm install ioredis',
    );
  }
}

/** `value` as a list of strings, which the topology then reads as URLs. */
function urlList(value: unknown, option: string): string[] {
  if (!Array.isArray(value) || !value.every((each) => typeof each === 'string')) {
    throw configError(`needs ${option} as a list of redis:// or rediss:// URLs`);
  }
  return value;
}

/** The result of a topology function, whose problems become configuration errors. */
function topology<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof RedisTopologyProblem) throw configError(error.message);
    throw error;
  }
}

/** The settings every store needs, checked; the client secret's value is never echoed. */
function checkSettings(
  options: Pick<RedisTokenStoreOptions, 'clientSecret' | 'keyPrefix' | 'operationTimeoutMs'>,
): { clientSecret: string; keyPrefix: string; operationTimeoutMs: number } {
  const {
    clientSecret,
    keyPrefix = REDIS_TOKEN_STORE_DEFAULTS.keyPrefix,
    operationTimeoutMs = REDIS_TOKEN_STORE_DEFAULTS.operationTimeoutMs,
  } = options as Partial<typeof options>;
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw configError(
      "needs the account's clientSecret: the key that encrypts the tokens in Redis is derived from it",
    );
  }
  if (typeof keyPrefix !== 'string') throw configError('needs a string keyPrefix');
  if (!Number.isSafeInteger(operationTimeoutMs) || operationTimeoutMs < 1) {
    throw configError(
      'needs an operationTimeoutMs that is a whole number of milliseconds, at least 1',
    );
  }
  return { clientSecret, keyPrefix, operationTimeoutMs };
}

function configError(problem: string): EnkashAuthError {
  return new EnkashAuthError('config', `The Redis token store ${problem}`);
}
