// Several replicas of one application, each a real Node process with its own Nest app (test/fixtures/replica.ts),
// against one EnKash simulator, sharing a real Redis (one server, Sentinel or Cluster) or nothing at all. Counts what
// EnKash received and what each replica's callers saw.
import { join } from 'node:path';
import { createRedisTokenStore } from '../../lib/store/redis-token-store.js';
import { tokenStoreKey } from '../../lib/store/token-store-key.js';
import type { SharedEnkashToken } from '../../lib/store/token-store.interface.js';
import { MIN_USEFUL_LIFETIME_MS, renewalDelayMs } from '../../lib/token/renewal-policy.js';
import type { EnkashSimulator } from '../../lib/testing/index.js';
import { childEnvironment, FixtureProcess } from '../support/child-fixtures.js';
import { environmentFor } from '../support/enkash-app.js';

/**
 * Token lifetime of most runs: a few seconds, so that 20 seconds hold many renewals. A run's lifetime is its
 * simulator's, whatever it is.
 */
export const TOKEN_LIFETIME_SECONDS = 5;

/** `refreshBeforeExpirySeconds` of the runs: each token is renewed near the end of its life, once. */
export const REFRESH_BEFORE_EXPIRY_SECONDS = 1;

/**
 * The earliest a token of `lifetimeMs` can be renewed after EnKash issued it, by whichever replica holds it, as the
 * renewal policy times it (jitter at its largest). The replica that obtained the token times its renewal from the
 * token's full lifetime; a replica that got it handed back by a password grant `d` ms later (recovering from a 401,
 * or checking EnKash's current token) reads `expires_in` in whole seconds, rounded down, so it may believe the token
 * expires up to a second before it does, and renews up to a second earlier: that replica renews first.
 */
export function earliestRenewalMs(lifetimeMs: number, refreshBeforeExpirySeconds: number): number {
  const earliestJitter = (): number => 1;
  let earliest = renewalDelayMs(lifetimeMs, refreshBeforeExpirySeconds, earliestJitter);
  for (let handedBackAfterMs = 1; handedBackAfterMs < lifetimeMs; handedBackAfterMs += 1) {
    const announcedMs = Math.floor((lifetimeMs - handedBackAfterMs) / 1000) * 1000;
    // A token handed back in its last second is renewed at once.
    const delayMs =
      announcedMs < MIN_USEFUL_LIFETIME_MS
        ? 0
        : renewalDelayMs(announcedMs, refreshBeforeExpirySeconds, earliestJitter);
    earliest = Math.min(earliest, handedBackAfterMs + delayMs);
  }
  return earliest;
}

/**
 * How much later than its timer a refresh grant may reach EnKash on a loaded machine, compared with the previous one:
 * the lock, the store's reads, the request on its way. Two renewals' grants may be that much closer at EnKash than
 * {@link earliestRenewalMs}.
 */
const TIMING_SLACK_MS = 1_000;

/**
 * A refresh grant this close to the previous one renewed the same token again: two replicas renewed one token. A
 * second renewal of one token comes within a token request's round trip of the first; the next token's renewal
 * never before {@link earliestRenewalMs}, give or take one request's delay.
 */
export function sameTokenWithinMs(tokenLifetimeSeconds: number): number {
  return earliestRenewalMs(tokenLifetimeSeconds * 1000, REFRESH_BEFORE_EXPIRY_SECONDS) / 2;
}

/** What a run of several replicas came to. */
export interface ReplicaRunResult {
  readonly label: string;
  readonly replicas: number;
  readonly seconds: number;
  readonly calls: number;
  /** Calls whose caller got an error, by `name:code`. */
  readonly failures: Record<string, number>;
  readonly failedCalls: number;
  readonly slowestCallMs: number;
  readonly refreshGrants: number;
  readonly passwordGrants: number;
  /** New access tokens EnKash issued (a password grant while a token is valid hands back that one). */
  readonly tokensIssued: number;
  /** Resource calls EnKash answered 401 (each recovered by the library, or counted in `failures`). */
  readonly unauthorized: number;
  /** Seconds between consecutive refresh grants, whichever replica sent them. */
  readonly refreshGaps: number[];
  /** Refresh grants that renewed a token: the first of the run, and each one {@link sameTokenWithinMs} or more after the previous. */
  readonly renewals: number;
  /** Refresh grants that renewed a token another one had just renewed: within {@link sameTokenWithinMs}. */
  readonly sameTokenRefreshes: number;
  /** The lifetime of the run's tokens: its simulator's. */
  readonly tokenLifetimeSeconds: number;
  /** How long EnKash's counts ran: from the replicas' start to the last replica's exit, in milliseconds. */
  readonly countedMs: number;
  /** Token lifetimes the run lasted. */
  readonly lifetimes: number;
}

/**
 * Renewals a run can hold: one per token, each at least {@link earliestRenewalMs} after the previous, give or take
 * a loaded machine's delay, over the time EnKash counted (renewals go on until each replica has closed).
 */
export function mostRenewals(
  result: Pick<ReplicaRunResult, 'countedMs' | 'tokenLifetimeSeconds'>,
): number {
  const earliestMs = earliestRenewalMs(
    result.tokenLifetimeSeconds * 1000,
    REFRESH_BEFORE_EXPIRY_SECONDS,
  );
  return Math.floor((result.countedMs + TIMING_SLACK_MS) / earliestMs) + 1;
}

/** Renewals a run holds at least: one per token lifetime of the calling time. */
export function fewestRenewals(
  result: Pick<ReplicaRunResult, 'seconds' | 'tokenLifetimeSeconds'>,
): number {
  return Math.floor(result.seconds / result.tokenLifetimeSeconds);
}

/** How the replicas reach Redis, as the `ENKASH_REDIS_*` variables give it to each. */
export interface ReplicaRedis {
  /** `ENKASH_REDIS_URL`: the server, or the primary's name with `sentinels`. */
  readonly url?: string;
  /** `ENKASH_REDIS_SENTINELS`. */
  readonly sentinels?: readonly string[];
  /** `ENKASH_REDIS_CLUSTER_NODES`. */
  readonly clusterNodes?: readonly string[];
}

/** How to run the replicas. */
export interface ReplicaRunOptions {
  readonly label: string;
  readonly fixtures: string;
  readonly simulator: EnkashSimulator;
  /** Where the replicas share their token; nothing shared without it. */
  readonly redis?: ReplicaRedis;
  readonly replicas?: number;
  readonly durationMs: number;
  /** Runs while the replicas call EnKash (e.g. stops Redis for a while); awaited before the results are read. */
  readonly during?: () => Promise<void>;
}

/**
 * The token the replicas share in Redis, read as one more replica of the account would: it is stored sealed, under
 * a key derived from the client secret. `undefined` when there is none, or it cannot be read.
 */
export async function sharedTokenIn(
  redis: ReplicaRedis,
  simulator: EnkashSimulator,
): Promise<SharedEnkashToken | undefined> {
  const store = await createRedisTokenStore({
    ...redis,
    clientSecret: simulator.options.clientSecret,
    logger: { warn: () => undefined },
  });
  try {
    return await store.get(
      tokenStoreKey({
        baseUrl: simulator.url,
        tokenPath: simulator.options.tokenPath,
        clientId: simulator.options.clientId,
        username: simulator.options.username,
      }),
    );
  } finally {
    await store.close();
  }
}

/** Concurrent callers in each replica. */
export const CALLERS_PER_REPLICA = 2;
const PAUSE_BETWEEN_CALLS_MS = 40;
const BOOT_LIMIT_MS = 30_000;

/** Runs the replicas from boot to exit; every child is killed if anything goes wrong. */
export async function runReplicas(options: ReplicaRunOptions): Promise<ReplicaRunResult> {
  const { simulator, durationMs } = options;
  const script = join(options.fixtures, 'test', 'fixtures', 'replica.js');
  const environment = childEnvironment({
    ...environmentFor(simulator),
    ENKASH_TOKEN_TIMEOUT_MS: '2000',
    ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS: String(REFRESH_BEFORE_EXPIRY_SECONDS),
    ENKASH_REDIS_URL: options.redis?.url ?? '',
    ENKASH_REDIS_SENTINELS: options.redis?.sentinels?.join(',') ?? '',
    ENKASH_REDIS_CLUSTER_NODES: options.redis?.clusterNodes?.join(',') ?? '',
    REPLICA_DURATION_MS: String(durationMs),
    REPLICA_CALLERS: String(CALLERS_PER_REPLICA),
    REPLICA_PAUSE_MS: String(PAUSE_BETWEEN_CALLS_MS),
  });
  const count = options.replicas ?? 3;
  const children: FixtureProcess[] = [];
  try {
    // Booted one after the other, as a rolling deployment would: the later ones find the first one's token.
    for (let index = 0; index < count; index += 1) {
      const child = new FixtureProcess(script, environment);
      children.push(child);
      await child.report('ready', BOOT_LIMIT_MS);
    }
    // Only steady state counts: what follows the boots.
    simulator.resetStats();
    const countedFrom = Date.now();
    for (const child of children) child.signal('SIGUSR2');
    const during = options.during?.() ?? Promise.resolve();
    // Awaited once the replicas are done; until then its failure must not count as an unhandled rejection.
    during.catch(() => undefined);
    const reports = await Promise.all(
      children.map((child) => child.report('done', durationMs + 15_000)),
    );
    await during;
    await Promise.all(children.map((child) => child.exited));
    for (const child of children) {
      if (child.stderr !== '') throw new Error(`A replica wrote to stderr:\n${child.stderr}`);
    }
    return summarise(
      options,
      count,
      reports.map(({ report }) => report as unknown as ReplicaReport),
      Date.now() - countedFrom,
    );
  } finally {
    for (const child of children) child.kill();
  }
}

interface ReplicaReport {
  calls: number;
  failures: Record<string, number>;
  slowestMs: number;
}

function summarise(
  options: ReplicaRunOptions,
  replicas: number,
  reports: ReplicaReport[],
  countedMs: number,
): ReplicaRunResult {
  const { simulator, durationMs } = options;
  const failures: Record<string, number> = {};
  for (const report of reports) {
    for (const [code, times] of Object.entries(report.failures)) {
      failures[code] = (failures[code] ?? 0) + times;
    }
  }
  const refreshTimes = simulator.tokenRequests
    .filter((request) => request.grantType === 'refresh_token')
    .map((request) => request.receivedAt);
  const gapsMs = refreshTimes.slice(1).map((at, index) => at - refreshTimes[index]!);
  const { tokenLifetimeSeconds } = simulator.options;
  const sameTokenRefreshes = gapsMs.filter(
    (gap) => gap < sameTokenWithinMs(tokenLifetimeSeconds),
  ).length;
  return {
    label: options.label,
    replicas,
    seconds: durationMs / 1000,
    calls: reports.reduce((sum, report) => sum + report.calls, 0),
    failures,
    failedCalls: Object.values(failures).reduce((sum, times) => sum + times, 0),
    slowestCallMs: Math.max(...reports.map((report) => report.slowestMs)),
    refreshGrants: simulator.stats.refreshGrants,
    passwordGrants: simulator.stats.passwordGrants,
    tokensIssued: simulator.stats.tokensIssued,
    unauthorized: simulator.stats.resourceUnauthorized,
    refreshGaps: gapsMs.map((gap) => gap / 1000),
    renewals: refreshTimes.length - sameTokenRefreshes,
    sameTokenRefreshes,
    countedMs,
    tokenLifetimeSeconds,
    lifetimes: durationMs / 1000 / tokenLifetimeSeconds,
  };
}

/** The figures of several runs side by side, one column each, per token lifetime where it means something. */
export function sideBySide(results: readonly ReplicaRunResult[]): string {
  const perLifetime = (value: number, result: ReplicaRunResult): string =>
    `${value} (${(value / result.lifetimes).toFixed(1)}/lifetime)`;
  const rows: Array<[string, (result: ReplicaRunResult) => string]> = [
    [
      'replicas x seconds',
      (r) => `${r.replicas} x ${r.seconds} s, ${r.tokenLifetimeSeconds} s tokens`,
    ],
    ['calls', (r) => String(r.calls)],
    ['failed calls', (r) => String(r.failedCalls)],
    ['slowest call', (r) => `${r.slowestCallMs} ms`],
    ['refresh grants', (r) => perLifetime(r.refreshGrants, r)],
    ['second refresh grants for one token', (r) => String(r.sameTokenRefreshes)],
    ['password grants', (r) => perLifetime(r.passwordGrants, r)],
    ['401s from EnKash', (r) => perLifetime(r.unauthorized, r)],
    [
      'shortest gap between refresh grants',
      (r) => (r.refreshGaps.length === 0 ? '-' : `${Math.min(...r.refreshGaps).toFixed(2)} s`),
    ],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const columnWidth = Math.max(
    ...results.flatMap((r) => [r.label.length, ...rows.map(([, cell]) => cell(r).length)]),
  );
  const line = (name: string, cells: string[]): string =>
    `${name.padEnd(width)} | ${cells.map((cell) => cell.padEnd(columnWidth)).join(' | ')}`;
  return [
    line(
      '',
      results.map((r) => r.label),
    ),
    ...rows.map(([name, cell]) =>
      line(
        name,
        results.map((r) => cell(r)),
      ),
    ),
  ].join('\n');
}
