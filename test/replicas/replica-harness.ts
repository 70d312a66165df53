// Several replicas of one application, each a real Node process with its own Nest app (test/fixtures/replica.ts),
// against one EnKash simulator, sharing a real redis-server or nothing at all. Counts what EnKash received and what
// each replica's callers saw.
import { join } from 'node:path';
import type { EnkashSimulator } from '../../lib/testing/index.js';
import { childEnvironment, FixtureProcess } from '../support/child-fixtures.js';
import { environmentFor } from '../support/enkash-app.js';
import { renewalDelayMs } from '../../lib/token/renewal-policy.js';

/** Token lifetime of the runs: a few seconds, so that 20 seconds hold many renewals. */
export const TOKEN_LIFETIME_SECONDS = 5;

/** `refreshBeforeExpirySeconds` of the runs: each token is renewed near the end of its life, once. */
const REFRESH_BEFORE_EXPIRY_SECONDS = 1;

/**
 * The earliest a token is renewed, in seconds into its life: the jitter brings a renewal forward from its margin (1 s
 * before expiry) by up to a quarter second.
 */
export const EARLIEST_RENEWAL_SECONDS =
  renewalDelayMs(TOKEN_LIFETIME_SECONDS * 1_000, REFRESH_BEFORE_EXPIRY_SECONDS, () => 1) / 1_000;

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
  /** Token lifetimes the run lasted. */
  readonly lifetimes: number;
}

/** How to run the replicas. */
export interface ReplicaRunOptions {
  readonly label: string;
  readonly fixtures: string;
  readonly simulator: EnkashSimulator;
  readonly redisUrl?: string;
  readonly replicas?: number;
  readonly durationMs: number;
  /** Runs while the replicas call EnKash (e.g. stops Redis for a while); awaited before the results are read. */
  readonly during?: () => Promise<void>;
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
    ENKASH_REDIS_URL: options.redisUrl ?? '',
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
    for (const child of children) child.signal('SIGUSR2');
    const during = options.during?.() ?? Promise.resolve();
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
    refreshGaps: refreshTimes.slice(1).map((at, index) => (at - refreshTimes[index]!) / 1000),
    lifetimes: durationMs / 1000 / TOKEN_LIFETIME_SECONDS,
  };
}

/** The figures of several runs side by side, one column each, per token lifetime where it means something. */
export function sideBySide(results: readonly ReplicaRunResult[]): string {
  const perLifetime = (value: number, result: ReplicaRunResult): string =>
    `${value} (${(value / result.lifetimes).toFixed(1)}/lifetime)`;
  const rows: Array<[string, (result: ReplicaRunResult) => string]> = [
    [
      'replicas x seconds',
      (r) => `${r.replicas} x ${r.seconds} s, ${TOKEN_LIFETIME_SECONDS} s tokens`,
    ],
    ['calls', (r) => String(r.calls)],
    ['failed calls', (r) => String(r.failedCalls)],
    ['slowest call', (r) => `${r.slowestCallMs} ms`],
    ['refresh grants', (r) => perLifetime(r.refreshGrants, r)],
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
