// How the Redis token store opens, waits on and closes its ioredis connections, to a single server, to a primary
// behind Sentinel (a `Redis` client too) or to a Redis Cluster. Type imports only: ioredis is an optional
// dependency, loaded by the store's factory when it is installed.
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/** How many operation timeouts a connection attempt may take (ioredis's `connectTimeout`). */
const FIRST_CONNECTION_ALLOWANCE = 4;

/** A client the store can use: a `Redis` (one server, or a primary found through Sentinel) or a `Cluster`. */
export type RedisConnection = Redis | Cluster;

/** The longest pause between two reconnection attempts: the store is used again within about a second of Redis. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/** How long a closing connection waits for Redis to close its side before destroying the socket. */
const MAX_DISCONNECT_WAIT_MS = 200;

/** Reconnects forever, 50 ms after the first loss and then twice as long each time, up to a second. */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(Math.max(attempt - 1, 0), 5), MAX_RECONNECT_DELAY_MS);
}

/** How long {@link closeConnection} lets Redis answer a disconnection: never longer than an operation. */
export function disconnectWaitMs(operationTimeoutMs: number): number {
  return Math.min(operationTimeoutMs, MAX_DISCONNECT_WAIT_MS);
}

/** Whether `connection` is a Redis Cluster client (ioredis marks its two classes so). */
export function isCluster(connection: RedisConnection): connection is Cluster {
  return connection.isCluster;
}

/**
 * Options of the connection the store creates from a URL (or from Sentinel). Commands fail at once while Redis is
 * unreachable, rather than queueing until it returns: a caller waiting on a token must carry on without the store,
 * not wait for it.
 */
export function commandConnectionOptions(operationTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails at the first reconnection attempt, never resent.
    maxRetriesPerRequest: 0,
    commandTimeout: operationTimeoutMs,
    connectTimeout: operationTimeoutMs * FIRST_CONNECTION_ALLOWANCE,
    disconnectTimeout: disconnectWaitMs(operationTimeoutMs),
    retryStrategy: reconnectDelay,
    lazyConnect: false,
  };
}

/**
 * Options of the Redis Cluster client the store creates from seed nodes: as {@link commandConnectionOptions} for
 * each node's connection, and for the cluster as a whole, which reconnects forever when every node is lost. A
 * command to a node that failed is sent again once the cluster has told the client which node took its slots,
 * within the operation's own timeout.
 */
export function clusterConnectionOptions(operationTimeoutMs: number): ClusterOptions {
  const {
    enableOfflineQueue,
    lazyConnect,
    retryStrategy: _eachNodeIsNotReconnected,
    ...nodeOptions
  } = commandConnectionOptions(operationTimeoutMs);
  return {
    enableOfflineQueue,
    lazyConnect,
    clusterRetryStrategy: reconnectDelay,
    slotsRefreshTimeout: operationTimeoutMs * 2,
    redisOptions: nodeOptions,
  };
}

/**
 * Overrides for the pub/sub connection, duplicated from the command connection (whichever created it). Its
 * SUBSCRIBE commands wait for the connection rather than fail, and no timer bounds them: nobody awaits them, and
 * ioredis subscribes again after each reconnection.
 */
export function subscriberConnectionOverrides(operationTimeoutMs: number): Partial<RedisOptions> {
  return {
    enableOfflineQueue: true,
    autoResubscribe: true,
    maxRetriesPerRequest: null,
    commandTimeout: undefined,
    disconnectTimeout: disconnectWaitMs(operationTimeoutMs),
    lazyConnect: false,
  };
}

/**
 * The pub/sub connection of `client`, duplicated with {@link subscriberConnectionOverrides}. A Cluster client
 * subscribes on one node of its choice and picks another when that one is lost; a message published on any node
 * reaches every node of a cluster.
 */
export function subscriberConnectionOf(
  client: RedisConnection,
  operationTimeoutMs: number,
): RedisConnection {
  const overrides = subscriberConnectionOverrides(operationTimeoutMs);
  if (!isCluster(client)) return client.duplicate(overrides);
  const { enableOfflineQueue, lazyConnect, ...nodeOverrides } = overrides;
  // Merged here: ioredis 5 replaces the cluster's node options (credentials, TLS) with those given to duplicate().
  const redisOptions = { ...client.options.redisOptions, ...nodeOverrides };
  return client.duplicate([], { enableOfflineQueue, lazyConnect, redisOptions });
}

/**
 * Connection errors also reject the commands they concern, which is how the store reports them; without a listener
 * ioredis would print each one as "Unhandled error event". Never logged here: an error may name the server.
 */
export function ignoreConnectionError(): void {}

/**
 * Runs `send` once `client` may take commands: at once, unless its first connection (or a reconnection) is still
 * under way, in which case it waits for that attempt to end either way. A connection that is down fails the
 * command at once. Returns the function that stops waiting.
 */
export function whenConnected(client: RedisConnection, send: () => void): () => void {
  if (client.status !== 'connecting' && client.status !== 'connect') {
    send();
    return () => undefined;
  }
  const events = ['ready', 'close', 'end'] as const;
  const stop = (): void => {
    for (const event of events) client.off(event, proceed);
  };
  const proceed = (): void => {
    stop();
    send();
  };
  for (const event of events) client.once(event, proceed);
  return stop;
}

/** Clients seen ready at least once: their first connection is made. */
const connectedOnce = new WeakSet<RedisConnection>();

/**
 * Whether `client` is still making its first connection. An application that boots many replicas at once (a deploy)
 * may take longer than one operation's timeout to connect, and a replica whose first read timed out would log in on
 * its own instead of adopting the others' token.
 */
function firstConnectionUnderWay(client: RedisConnection): boolean {
  if (client.status === 'ready') connectedOnce.add(client);
  if (connectedOnce.has(client)) return false;
  return client.status === 'wait' || client.status === 'connecting' || client.status === 'connect';
}

/**
 * Sends one command of `operation` on `client`, settled within `timeoutMs` by a timer of its own: an application's
 * client may queue commands while disconnected. While the client makes its first connection, the command may also
 * wait for it as long as ioredis's `connectTimeout` allows ({@link commandConnectionOptions}: four times the
 * timeout). Errors name the operation only, never a value or the server's URL, and do not wrap ioredis's error,
 * which carries the command's arguments (a token).
 */
export function sendWithin<T>(
  client: RedisConnection,
  operation: string,
  timeoutMs: number,
  command: () => Promise<T>,
): Promise<T> {
  const limitMs = firstConnectionUnderWay(client)
    ? timeoutMs + FIRST_CONNECTION_ALLOWANCE * timeoutMs
    : timeoutMs;
  const timeoutError = (): Error =>
    new Error(`Redis did not answer the token store's ${operation} within ${limitMs} ms`);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      stopWaiting();
      reject(timeoutError());
    }, limitMs);
    timer.unref();
    const stopWaiting = whenConnected(client, () => {
      if (client.status === 'ready') connectedOnce.add(client);
      // Through a promise, so that a command throwing at once is reported like one that rejects.
      Promise.resolve()
        .then(command)
        .then(
          (reply) => {
            clearTimeout(timer);
            resolve(reply);
          },
          (error: unknown) => {
            clearTimeout(timer);
            const message = error instanceof Error ? error.message : String(error);
            reject(
              message === 'Command timed out'
                ? timeoutError()
                : new Error(`Redis failed the token store's ${operation}: ${message}`),
            );
          },
        );
    });
  });
}

/** Resolves once `promise` settles or `ms` have passed, whichever comes first; never rejects. */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

/**
 * Closes `connection` within about `timeoutMs` plus the disconnect wait, whatever state Redis is in: QUIT when it
 * is connected and `quit` is asked (pending replies arrive first), else a disconnection, which also cancels a
 * pending reconnection. Resolves once the connection holds no socket and no timer; a cluster's, once each of its
 * nodes' does.
 */
export async function closeConnection(
  connection: RedisConnection,
  options: { quit: boolean; timeoutMs: number },
): Promise<void> {
  if (hasEnded(connection)) return;
  // A cluster subscribes on a connection kept apart from its pool, which it drops without waiting when it closes.
  const clusterSubscriber = isCluster(connection) ? subscriberOfCluster(connection) : undefined;
  let onEnd: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    onEnd = resolve;
    connection.once('end', onEnd);
  });
  try {
    if (options.quit && connection.status === 'ready') {
      // Redis closes the connection once it has answered QUIT. A QUIT that fails (the connection is dropping
      // already) moves on at once: waiting for 'end' would outlast the drop, which schedules a reconnection.
      const quitting = connection.quit().then(() => ended);
      await settleWithin(quitting, options.timeoutMs);
    }
    if (hasEnded(connection)) return;
    connection.disconnect();
    // While reconnecting, ioredis never reaches 'end' and leaves a timer of `disconnectTimeout`: outlive it.
    await settleWithin(ended, disconnectWaitMs(options.timeoutMs) + 50);
    if (!hasEnded(connection)) {
      if (isCluster(connection)) {
        await Promise.all(
          connection.nodes().map((node) => closeConnection(node, { ...options, quit: false })),
        );
      } else {
        connection.stream?.destroy();
      }
    }
    if (clusterSubscriber !== undefined) {
      await closeConnection(clusterSubscriber, { ...options, quit: false });
    }
  } finally {
    connection.off('end', onEnd);
  }
}

/**
 * The connection a cluster client subscribes on, if it has one: ioredis keeps it in a private field (`subscriber`,
 * whose `getInstance()` gives it). Looked up defensively: another version of ioredis may keep it elsewhere, and
 * closing then only waits less.
 */
function subscriberOfCluster(cluster: Cluster): Redis | undefined {
  const holder = (cluster as unknown as { subscriber?: { getInstance?: () => unknown } })
    .subscriber;
  const instance = typeof holder?.getInstance === 'function' ? holder.getInstance() : undefined;
  const looksLikeRedis =
    typeof instance === 'object' &&
    instance !== null &&
    typeof (instance as Partial<Redis>).disconnect === 'function' &&
    typeof (instance as Partial<Redis>).once === 'function' &&
    (instance as Partial<Redis>).isCluster === false;
  return looksLikeRedis ? (instance as Redis) : undefined;
}

/** A function rather than a comparison, which TypeScript would narrow across the awaits above. */
function hasEnded(connection: RedisConnection): boolean {
  return connection.status === 'end';
}
