// How the Redis token store reaches Redis from its options: one server (a URL), a primary found through Sentinel
// (the URL names it, the sentinels are asked where it is), or a Redis Cluster (seed nodes). Turns URLs into the
// arguments of ioredis's constructors; never echoes a URL, which may hold a password.
import type { ClusterOptions, RedisOptions } from 'ioredis';
import {
  clusterConnectionOptions,
  commandConnectionOptions,
  reconnectDelay,
} from './redis-connections.js';

/** The port sentinels listen on unless a URL says otherwise. */
const SENTINEL_DEFAULT_PORT = 26_379;
const REDIS_DEFAULT_PORT = 6_379;

/** A `redis://` or `rediss://` URL taken apart: where, as whom, over TLS or not. */
interface RedisAddress {
  readonly host: string;
  /** `undefined` when the URL gives none. */
  readonly port: number | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
  /** The database of the path (`/2`), `undefined` without one. */
  readonly db: number | undefined;
}

/** A problem with the options, in words that name the option and never its value. */
export class RedisTopologyProblem extends Error {
  override readonly name = 'RedisTopologyProblem';
}

/**
 * A `redis://` or `rediss://` URL taken apart, or `undefined` when it is not one: another scheme, no host, a query
 * string or a fragment, a path other than a database number.
 */
export function parseRedisUrl(text: string): RedisAddress | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return undefined;
  if (url.hostname === '' || url.search !== '' || url.hash !== '') return undefined;
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) return undefined;
  let host: string;
  try {
    host = decodeURIComponent(url.hostname);
  } catch {
    return undefined;
  }
  const credential = (part: string): string | undefined => {
    if (part === '') return undefined;
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  return {
    // `[::1]` stands for the address ::1.
    host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
    port: url.port === '' ? undefined : Number(url.port),
    username: credential(url.username),
    password: credential(url.password),
    tls: url.protocol === 'rediss:',
    db: path === '' ? undefined : Number(path),
  };
}

/**
 * The options of a client of the primary that the sentinels at `sentinelUrls` monitor under the name that is the host
 * of `url` (`redis://[[user]:password@]<name>[/db]`): the credentials, TLS and database of `url` are the primary's,
 * those of the sentinel URLs the sentinels' own. After a failover the client reconnects to the new primary (Sentinel
 * closes the connections of a demoted primary), and a write that reaches a demoted one all the same (READONLY) makes
 * it reconnect at once. No failover detector (`failoverDetector`): ioredis 6's leaves connections to the sentinels
 * open after the client is closed.
 *
 * @throws RedisTopologyProblem
 */
export function sentinelClientOptions(
  url: string,
  sentinelUrls: readonly string[],
  operationTimeoutMs: number,
): RedisOptions {
  const primary = parseRedisUrl(url);
  if (primary === undefined || primary.port !== undefined) {
    throw new RedisTopologyProblem(
      'with sentinels, url names the primary as the sentinels know it: redis://[[user]:password@]<name>[/db], ' +
        'without a port',
    );
  }
  const sentinels = sentinelUrls.map((each) => parseRedisUrl(each));
  if (
    sentinels.length === 0 ||
    sentinels.some((each) => each === undefined || each.db !== undefined)
  ) {
    throw new RedisTopologyProblem(
      'needs sentinels as a non-empty list of redis:// or rediss:// URLs such as redis://10.0.0.1:26379',
    );
  }
  const [first] = sentinels as RedisAddress[];
  if (!(sentinels as RedisAddress[]).every((each) => sameAccess(each, first!))) {
    throw new RedisTopologyProblem(
      'needs sentinels that share one scheme and one set of credentials (ioredis sends the same to each)',
    );
  }
  const { username, password } = primary;
  const { username: sentinelUsername, password: sentinelPassword } = first!;
  return {
    ...commandConnectionOptions(operationTimeoutMs),
    name: primary.host,
    sentinels: (sentinels as RedisAddress[]).map(({ host, port }) => ({
      host,
      port: port ?? SENTINEL_DEFAULT_PORT,
    })),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(sentinelUsername !== undefined ? { sentinelUsername } : {}),
    ...(sentinelPassword !== undefined ? { sentinelPassword } : {}),
    ...(primary.db !== undefined ? { db: primary.db } : {}),
    ...(primary.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    ...(first!.tls ? { sentinelTLS: {} } : {}),
    sentinelRetryStrategy: reconnectDelay,
    sentinelCommandTimeout: operationTimeoutMs,
    // The demoted primary refuses writes: reconnect, through the sentinels, to the new one.
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
  };
}

/**
 * The seed nodes and options of a Redis Cluster client from the URLs of some of its nodes; their credentials and TLS
 * apply to every node the client discovers, so they must agree.
 *
 * @throws RedisTopologyProblem
 */
export function clusterClientArguments(
  nodeUrls: readonly string[],
  operationTimeoutMs: number,
): { nodes: { host: string; port: number }[]; options: ClusterOptions } {
  const nodes = nodeUrls.map((each) => parseRedisUrl(each));
  if (nodes.length === 0 || nodes.some((each) => each === undefined || each.db !== undefined)) {
    throw new RedisTopologyProblem(
      'needs clusterNodes as a non-empty list of redis:// or rediss:// URLs such as redis://10.0.0.1:6379, ' +
        'without a database (a cluster has only database 0)',
    );
  }
  const [first] = nodes as RedisAddress[];
  if (!(nodes as RedisAddress[]).every((each) => sameAccess(each, first!))) {
    throw new RedisTopologyProblem(
      'needs clusterNodes that share one scheme and one set of credentials (every node is reached alike)',
    );
  }
  const options = clusterConnectionOptions(operationTimeoutMs);
  const { username, password, tls } = first!;
  return {
    nodes: (nodes as RedisAddress[]).map(({ host, port }) => ({
      host,
      port: port ?? REDIS_DEFAULT_PORT,
    })),
    options: {
      ...options,
      redisOptions: {
        ...options.redisOptions,
        ...(username !== undefined ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(tls ? { tls: {} } : {}),
      },
    },
  };
}

function sameAccess(a: RedisAddress, b: RedisAddress): boolean {
  return a.tls === b.tls && a.username === b.username && a.password === b.password;
}
