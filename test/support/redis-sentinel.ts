// A real Redis behind Sentinel of one suite: a primary and a replica (Debian's redis-server) and three sentinels
// (Debian's redis-sentinel), on free loopback ports, each in a temporary directory of its own with the configuration
// file Sentinel rewrites. Tests fail the primary over, gracefully or by killing it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from './ports.js';
import { startRedisProcess, type RedisEntry, type RedisServer } from './redis-server.js';
import { sleep } from './waiting.js';

/** The name the sentinels monitor the primary under. */
export const SENTINEL_MASTER_NAME = 'enkash-primary';

/**
 * How long the primary may not answer before a sentinel deems it down. Short, so that a failover happens within a
 * replica run; production setups use 5 to 30 s.
 */
export const SENTINEL_DOWN_AFTER_MS = 1_000;

/** How long the group may take to form, or to settle after a failover. */
const SETTLE_TIMEOUT_MS = 20_000;

/** A primary, its replica and three sentinels, and what tests do to them. */
export interface RedisSentinelGroup {
  /** The URL the library is given with the sentinels: `redis://[:<password>@]<master name>`. */
  readonly url: string;
  /** The password the primary and its replica require, if any (the sentinels require none). */
  readonly password: string | undefined;
  /** `redis://127.0.0.1:<port>` of each sentinel. */
  readonly sentinelUrls: readonly string[];
  /** The two data nodes, the first started as the primary. */
  readonly servers: readonly RedisServer[];
  /** The primary the sentinels report now. */
  primary(): Promise<RedisServer>;
  /**
   * `SENTINEL FAILOVER`: the replica is promoted and the primary demoted, without waiting for a failure. Resolves
   * once the sentinels report the new primary, it answers as one, and the old one replicates it. Until the sentinels
   * convert the old primary (at their next look at it: up to 10 s), both answer as primaries, and clients still
   * connected to the old one write there: what they write then is lost when it resyncs from the new one.
   */
  failover(): Promise<RedisServer>;
  /**
   * Kills the primary (SIGKILL), as a crash or a lost machine would, and resolves once the sentinels have promoted
   * the replica and it answers as the primary. The killed server is not started again.
   */
  killPrimary(): Promise<{ killed: RedisServer; primary: RedisServer }>;
  /** Every key of the primary, with its value and TTL. */
  dump(): Promise<RedisEntry[]>;
  /** Kills every process and removes the directories. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a primary, a replica of it and three sentinels monitoring it (quorum 2), the data nodes requiring
 * `options.password` when given, as production ones do (the sentinels are told it), and waits until every sentinel
 * knows the replica and the two other sentinels, and the replica is in sync: only then can they fail it over.
 * Every process is killed if anything fails on the way.
 */
export async function startRedisSentinelGroup(
  options: { password?: string } = {},
): Promise<RedisSentinelGroup> {
  const directory = await mkdtemp(join(tmpdir(), 'enkash-redis-sentinel-'));
  const group = new LocalSentinelGroup(directory, options.password);
  try {
    const primary = await group.startDataNode(0, undefined);
    await group.startDataNode(1, primary.port);
    await Promise.all([0, 1, 2].map((index) => group.startSentinel(index, primary.port)));
    await group.formed();
    return group;
  } catch (error) {
    await group.close();
    throw error;
  }
}

class LocalSentinelGroup implements RedisSentinelGroup {
  readonly url: string;
  readonly servers: RedisServer[] = [];
  private readonly sentinels: RedisServer[] = [];
  private closed = false;

  constructor(
    private readonly directory: string,
    readonly password: string | undefined,
  ) {
    const credentials = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
    this.url = `redis://${credentials}${SENTINEL_MASTER_NAME}`;
  }

  get sentinelUrls(): string[] {
    return this.sentinels.map((sentinel) => sentinel.url);
  }

  /** A data node with a configuration file of its own, which Sentinel rewrites when it reconfigures the node. */
  async startDataNode(index: number, replicaOf: number | undefined): Promise<RedisServer> {
    const port = await freeLoopbackPort();
    const nodeDirectory = join(this.directory, `node-${index}`);
    await mkdir(nodeDirectory);
    const config = join(nodeDirectory, 'redis.conf');
    await writeFile(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${nodeDirectory}`,
        'save ""',
        'appendonly no',
        // A replica syncs at once rather than after the default 5 s, which a test would wait for.
        'repl-diskless-sync-delay 0',
        ...(replicaOf === undefined ? [] : [`replicaof 127.0.0.1 ${replicaOf}`]),
        ...(this.password === undefined
          ? []
          : [`requirepass "${this.password}"`, `masterauth "${this.password}"`]),
        '',
      ].join('\n'),
    );
    const server = await startRedisProcess(port, {
      command: 'redis-server',
      args: [config],
      ...(this.password !== undefined ? { password: this.password } : {}),
    });
    this.servers[index] = server;
    return server;
  }

  async startSentinel(index: number, primaryPort: number): Promise<void> {
    const port = await freeLoopbackPort();
    const sentinelDirectory = join(this.directory, `sentinel-${index}`);
    await mkdir(sentinelDirectory);
    const config = join(sentinelDirectory, 'sentinel.conf');
    await writeFile(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${sentinelDirectory}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${SENTINEL_DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        ...(this.password === undefined
          ? []
          : [`sentinel auth-pass ${SENTINEL_MASTER_NAME} "${this.password}"`]),
        '',
      ].join('\n'),
    );
    this.sentinels[index] = await startRedisProcess(port, {
      command: 'redis-sentinel',
      args: [config],
    });
  }

  /** Resolves once every sentinel knows the replica and the two other sentinels, and the replica is in sync. */
  async formed(): Promise<void> {
    await this.waitFor('the sentinels to know each other and the replica', async () => {
      for (const sentinel of this.sentinels) {
        const fields = pairs(
          (await sentinel.command('SENTINEL', 'MASTER', SENTINEL_MASTER_NAME)) as string[],
        );
        if (fields['num-other-sentinels'] !== '2' || fields['num-slaves'] !== '1') return false;
        if (!String(fields.flags).split(',').includes('master')) return false;
      }
      return this.inSync();
    });
  }

  async primary(): Promise<RedisServer> {
    const [, port] = (await this.liveSentinel().command(
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      SENTINEL_MASTER_NAME,
    )) as [string, string];
    return this.serverOn(Number(port));
  }

  async failover(): Promise<RedisServer> {
    const before = await this.primary();
    await this.liveSentinel().command('SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME);
    const after = await this.promotedInsteadOf(before);
    await this.waitFor('the old primary to replicate the new one', async () => {
      const role = String(await before.command('ROLE'));
      return role.startsWith('slave') && (await this.inSync());
    });
    return after;
  }

  async killPrimary(): Promise<{ killed: RedisServer; primary: RedisServer }> {
    const killed = await this.primary();
    await killed.kill();
    return { killed, primary: await this.promotedInsteadOf(killed) };
  }

  async dump(): Promise<RedisEntry[]> {
    return (await this.primary()).dump();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [...this.sentinels, ...this.servers].filter(Boolean).map((each) => each.kill()),
    );
    await rm(this.directory, { recursive: true, force: true });
  }

  /** Resolves once every live sentinel reports another primary than `before`, and that one answers as a primary. */
  private async promotedInsteadOf(before: RedisServer): Promise<RedisServer> {
    let promoted: RedisServer | undefined;
    await this.waitFor('the sentinels to promote the replica', async () => {
      for (const sentinel of this.sentinels.filter((each) => each.running)) {
        const [, port] = (await sentinel.command(
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          SENTINEL_MASTER_NAME,
        )) as [string, string];
        if (Number(port) === before.port) return false;
      }
      promoted = await this.primary();
      return String(await promoted.command('ROLE')).startsWith('master');
    });
    return promoted!;
  }

  /** Whether every live replica has completed its sync with its primary. */
  private async inSync(): Promise<boolean> {
    for (const server of this.servers.filter((each) => each.running)) {
      const info = String(await server.command('INFO', 'replication'));
      if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
    }
    return true;
  }

  private liveSentinel(): RedisServer {
    const sentinel = this.sentinels.find((each) => each.running);
    if (sentinel === undefined) throw new Error('No sentinel is running');
    return sentinel;
  }

  private serverOn(port: number): RedisServer {
    const server = this.servers.find((each) => each.port === port);
    if (server === undefined) throw new Error(`No data node of this group listens on ${port}`);
    return server;
  }

  private async waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    while (!(await check().catch(() => false))) {
      if (performance.now() >= deadline) {
        throw new Error(`Not within ${SETTLE_TIMEOUT_MS} ms: ${what}`);
      }
      await sleep(50);
    }
  }
}

/** `[name, value, name, value, ...]` as an object. */
function pairs(list: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let index = 0; index + 1 < list.length; index += 2) fields[list[index]!] = list[index + 1]!;
  return fields;
}
