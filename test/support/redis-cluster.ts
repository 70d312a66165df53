// A real Redis Cluster of one suite: Debian's redis-server processes on free loopback ports, each in a temporary
// directory of its own, joined with `redis-cli --cluster create`. Tests kill primaries, fail over and move slots.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort } from './ports.js';
import { startRedisProcess, type RedisEntry, type RedisServer } from './redis-server.js';
import { sleep } from './waiting.js';

const run = promisify(execFile);

/** How long the cluster may take to form, to heal after a failure, or to move a slot. */
const SETTLE_TIMEOUT_MS = 15_000;

/**
 * How long a node may be unreachable before the others mark it failed and its replica takes over. Short, so that a
 * failover happens within a replica run; production clusters use 15 s.
 */
export const CLUSTER_NODE_TIMEOUT_MS = 1_000;

/** One node of the cluster, as `CLUSTER NODES` describes it. */
export interface ClusterNodeView {
  readonly id: string;
  readonly port: number;
  readonly role: 'primary' | 'replica';
  /** The id of its primary, for a replica. */
  readonly primaryId: string | undefined;
  /** Whether the others see it as failed. */
  readonly failed: boolean;
}

/** A running cluster: its nodes, and what tests do to it. */
export interface RedisCluster {
  /**
   * `redis://[:<password>@]127.0.0.1:<port>` of every node started, the seed nodes a client is given (with the
   * cluster's password when it has one).
   */
  readonly urls: readonly string[];
  /** The password every node requires, if any. */
  readonly password: string | undefined;
  /** Every node started, in the order of {@link urls}. */
  readonly servers: readonly RedisServer[];
  /** The slot of `key` (`CLUSTER KEYSLOT`). */
  slotOf(key: string): Promise<number>;
  /** The live primary that serves `slot`. */
  primaryOf(slot: number): Promise<RedisServer>;
  /** The live replica of the primary `primary`. */
  replicaOf(primary: RedisServer): Promise<RedisServer>;
  /** The nodes as a live node sees them. */
  view(): Promise<ClusterNodeView[]>;
  /** Every key of every live primary, with its value and TTL. */
  dump(): Promise<RedisEntry[]>;
  /**
   * Moves `slot` and its keys to `target` as `redis-cli --cluster reshard` does: IMPORTING/MIGRATING, MIGRATE of each
   * key, then the new owner announced to every primary. Clients meet ASK and MOVED redirections meanwhile.
   */
  moveSlot(slot: number, target: RedisServer): Promise<void>;
  /** Resolves once every live node reports `cluster_state:ok` and agrees that each slot has a live primary. */
  healthy(): Promise<void>;
  /** Kills every process and removes the directories. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Primaries: at least 3, as `redis-cli --cluster create` requires. Default 3. */
  readonly primaries?: number;
  /** Replicas of each primary. Default 1, so that a primary's failure is a failover rather than an outage. */
  readonly replicasPerPrimary?: number;
  /** A password every node requires (`requirepass`, and `masterauth` for its replicas), as production clusters do. */
  readonly password?: string;
}

/**
 * Starts `primaries × (1 + replicasPerPrimary)` redis-server processes in cluster mode (no persistence, each in a
 * directory of its own), creates the cluster with `redis-cli --cluster create ... --cluster-yes`, and waits until it
 * is healthy and every replica is in sync. Every process is killed if anything fails on the way.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const primaries = options.primaries ?? 3;
  const replicasPerPrimary = options.replicasPerPrimary ?? 1;
  const directory = await mkdtemp(join(tmpdir(), 'enkash-redis-cluster-'));
  const cluster = new LocalRedisCluster(directory, options.password);
  try {
    const count = primaries * (1 + replicasPerPrimary);
    await Promise.all(Array.from({ length: count }, (_, index) => cluster.startNode(index)));
    await cluster.create(replicasPerPrimary);
    await cluster.healthy();
    await cluster.replicasInSync();
    return cluster;
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

class LocalRedisCluster implements RedisCluster {
  readonly servers: RedisServer[] = [];
  private closed = false;

  constructor(
    private readonly directory: string,
    readonly password: string | undefined,
  ) {}

  get urls(): string[] {
    const credentials = this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`;
    return this.servers.map((server) => `redis://${credentials}127.0.0.1:${server.port}`);
  }

  async startNode(index: number): Promise<void> {
    const port = await freeLoopbackPort();
    const nodeDirectory = join(this.directory, `node-${index}`);
    await mkdir(nodeDirectory);
    const server = await startRedisProcess(port, {
      command: 'redis-server',
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        nodeDirectory,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(nodeDirectory, 'nodes.conf'),
        '--cluster-node-timeout',
        String(CLUSTER_NODE_TIMEOUT_MS),
        // A replica may take over however long it was cut off from its primary: the test kills primaries at will.
        '--cluster-replica-validity-factor',
        '0',
        // A replica syncs at once rather than after the default 5 s, which the cluster's creation would wait for.
        '--repl-diskless-sync-delay',
        '0',
        ...(this.password === undefined
          ? []
          : ['--requirepass', this.password, '--masterauth', this.password]),
      ],
      ...(this.password !== undefined ? { password: this.password } : {}),
    });
    this.servers[index] = server;
  }

  async create(replicasPerPrimary: number): Promise<void> {
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...this.servers.map((server) => `127.0.0.1:${server.port}`),
        '--cluster-replicas',
        String(replicasPerPrimary),
        '--cluster-yes',
        ...(this.password === undefined ? [] : ['-a', this.password, '--no-auth-warning']),
      ],
      { timeout: SETTLE_TIMEOUT_MS },
    );
  }

  async slotOf(key: string): Promise<number> {
    return Number(await this.anyLive().command('CLUSTER', 'KEYSLOT', key));
  }

  async primaryOf(slot: number): Promise<RedisServer> {
    const slots = (await this.anyLive().command('CLUSTER', 'SLOTS')) as [
      number,
      number,
      [string, number, string],
    ][];
    for (const [from, to, [, port]] of slots) {
      if (slot >= from && slot <= to) return this.serverOn(Number(port));
    }
    throw new Error(`No primary serves slot ${slot}`);
  }

  async replicaOf(primary: RedisServer): Promise<RedisServer> {
    const nodes = await this.view();
    const primaryId = nodes.find((node) => node.port === primary.port)?.id;
    const replica = nodes.find(
      (node) => node.role === 'replica' && node.primaryId === primaryId && !node.failed,
    );
    if (replica === undefined)
      throw new Error(`The primary on ${primary.port} has no live replica`);
    return this.serverOn(replica.port);
  }

  async view(): Promise<ClusterNodeView[]> {
    return parseClusterNodes(String(await this.anyLive().command('CLUSTER', 'NODES')));
  }

  async dump(): Promise<RedisEntry[]> {
    const nodes = await this.view();
    const primaries = nodes.filter((node) => node.role === 'primary' && !node.failed);
    const entries = await Promise.all(
      primaries.map((node) =>
        this.serverOn(node.port)
          .dump()
          .catch(() => []),
      ),
    );
    return entries.flat().sort((a, b) => a.key.localeCompare(b.key));
  }

  async moveSlot(slot: number, target: RedisServer): Promise<void> {
    const source = await this.primaryOf(slot);
    if (source === target) return;
    const nodes = await this.view();
    const idOf = (server: RedisServer): string => {
      const id = nodes.find((node) => node.port === server.port)?.id;
      if (id === undefined) throw new Error(`No node listens on ${server.port}`);
      return id;
    };
    await target.command('CLUSTER', 'SETSLOT', slot, 'IMPORTING', idOf(source));
    await source.command('CLUSTER', 'SETSLOT', slot, 'MIGRATING', idOf(target));
    for (;;) {
      const keys = (await source.command('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
      if (keys.length === 0) break;
      await source.command(
        'MIGRATE',
        '127.0.0.1',
        target.port,
        '',
        0,
        5_000,
        'REPLACE',
        ...(this.password === undefined ? [] : ['AUTH', this.password]),
        'KEYS',
        ...keys,
      );
    }
    // The new owner first, as redis-cli does, then every other primary.
    await target.command('CLUSTER', 'SETSLOT', slot, 'NODE', idOf(target));
    await source.command('CLUSTER', 'SETSLOT', slot, 'NODE', idOf(target));
    for (const node of nodes.filter((each) => each.role === 'primary' && !each.failed)) {
      if (node.port === source.port || node.port === target.port) continue;
      await this.serverOn(node.port).command('CLUSTER', 'SETSLOT', slot, 'NODE', idOf(target));
    }
    await this.healthy();
  }

  async healthy(): Promise<void> {
    await this.waitFor('the cluster to be healthy', async () => {
      const live = this.liveServers();
      for (const server of live) {
        const info = String(await server.command('CLUSTER', 'INFO'));
        if (!info.includes('cluster_state:ok')) return false;
      }
      // Every slot served by a node every live node sees as a live primary.
      for (const server of live) {
        const nodes = parseClusterNodes(String(await server.command('CLUSTER', 'NODES')));
        const livePrimaries = nodes.filter((node) => node.role === 'primary' && !node.failed);
        const ports = new Set(livePrimaries.map((node) => node.port));
        const slots = (await server.command('CLUSTER', 'SLOTS')) as [
          number,
          number,
          [string, number],
        ][];
        let covered = 0;
        for (const [from, to, [, port]] of slots) {
          if (!ports.has(Number(port)) || !live.some((each) => each.port === Number(port))) {
            return false;
          }
          covered += to - from + 1;
        }
        if (covered !== 16_384) return false;
      }
      return true;
    });
  }

  /** Resolves once every live replica has completed its sync with its primary. */
  async replicasInSync(): Promise<void> {
    await this.waitFor('the replicas to be in sync', async () => {
      for (const server of this.liveServers()) {
        const info = String(await server.command('INFO', 'replication'));
        if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
      }
      return true;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.servers.filter(Boolean).map((server) => server.kill()));
    await rm(this.directory, { recursive: true, force: true });
  }

  private liveServers(): RedisServer[] {
    return this.servers.filter((server) => server !== undefined && server.running);
  }

  private anyLive(): RedisServer {
    const live = this.liveServers();
    if (live.length === 0) throw new Error('No node of the cluster is running');
    return live[0]!;
  }

  private serverOn(port: number): RedisServer {
    const server = this.servers.find((each) => each.port === port);
    if (server === undefined) throw new Error(`No node of this cluster listens on ${port}`);
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

/** The lines of `CLUSTER NODES`: `<id> <ip:port@bus> <flags> <primary id or -> ...`. */
function parseClusterNodes(text: string): ClusterNodeView[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', primaryId = '-'] = line.split(' ');
      const port = Number(address.slice(address.lastIndexOf(':') + 1).split('@')[0]);
      const flagList = flags.split(',');
      return {
        id,
        port,
        role: flagList.includes('master') ? 'primary' : 'replica',
        primaryId: primaryId === '-' ? undefined : primaryId,
        failed:
          flagList.includes('fail') || flagList.includes('fail?') || flagList.includes('noaddr'),
      };
    });
}
