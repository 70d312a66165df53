// A fleet of replicas sharing one redis-server, as a deploy starts them: several processes, each with several Nest
// application contexts (test/fixtures/fleet-member.ts), every context with its own engine, Redis connections and
// timers, all booting at once against one EnKash simulator. Counts what EnKash and Redis received.
import { join } from 'node:path';
import type { EnkashSimulator } from '../../lib/testing/index.js';
import { childEnvironment, FixtureProcess } from '../support/child-fixtures.js';
import { environmentFor } from '../support/enkash-app.js';
import type { RedisServer } from '../support/redis-server.js';

/** What a fleet run came to. */
export interface FleetRunResult {
  readonly replicas: number;
  readonly processes: number;
  readonly seconds: number;
  readonly tokenLifetimeSeconds: number;
  readonly calls: number;
  /** Calls whose caller got an error, by `name:code`. */
  readonly failures: Record<string, number>;
  readonly failedCalls: number;
  readonly slowestCallMs: number;
  /** Password grants before the first token was issued: the cold start of the whole fleet. */
  readonly coldStartPasswordGrants: number;
  readonly passwordGrants: number;
  readonly refreshGrants: number;
  /** New access tokens EnKash issued. */
  readonly tokensIssued: number;
  /** Resource calls EnKash answered 401. */
  readonly unauthorized: number;
  /** Seconds between consecutive refresh grants, whichever replica sent them. */
  readonly refreshGaps: number[];
  readonly redisCommandsPerSecond: number;
}

/** How to run the fleet. */
export interface FleetRunOptions {
  readonly fixtures: string;
  readonly simulator: EnkashSimulator;
  readonly redis: RedisServer;
  readonly processes: number;
  readonly appsPerProcess: number;
  readonly tokenLifetimeSeconds: number;
  readonly refreshBeforeExpirySeconds: number;
  readonly durationMs: number;
}

const PAUSE_BETWEEN_CALLS_MS = 250;
const LOAD_LIMIT_MS = 60_000;

/** Runs the fleet from the deploy to exit; every child is killed if anything goes wrong. */
export async function runFleet(options: FleetRunOptions): Promise<FleetRunResult> {
  const { simulator, redis, durationMs } = options;
  const script = join(options.fixtures, 'test', 'fixtures', 'fleet-member.js');
  const environment = childEnvironment({
    ...environmentFor(simulator),
    ENKASH_TOKEN_TIMEOUT_MS: '5000',
    ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS: String(options.refreshBeforeExpirySeconds),
    ENKASH_REDIS_URL: redis.url,
    FLEET_APPS: String(options.appsPerProcess),
    FLEET_DURATION_MS: String(durationMs),
    FLEET_PAUSE_MS: String(PAUSE_BETWEEN_CALLS_MS),
  });
  const children: FixtureProcess[] = [];
  try {
    for (let index = 0; index < options.processes; index += 1) {
      children.push(new FixtureProcess(script, environment));
    }
    await Promise.all(children.map((child) => child.report('loaded', LOAD_LIMIT_MS)));
    simulator.resetStats();
    const commandsBefore = await commandsProcessed(redis);
    const deployedAt = performance.now();
    for (const child of children) child.signal('SIGUSR2');
    const reports = await Promise.all(
      children.map((child) => child.report('done', durationMs + LOAD_LIMIT_MS)),
    );
    const seconds = (performance.now() - deployedAt) / 1_000;
    const commands = (await commandsProcessed(redis)) - commandsBefore;
    await Promise.all(children.map((child) => child.exited));
    for (const child of children) {
      if (child.stderr !== '') throw new Error(`A fleet member wrote to stderr:\n${child.stderr}`);
    }
    return summarise(
      options,
      reports.map(({ report }) => report as unknown as MemberReport),
      commands / seconds,
    );
  } finally {
    for (const child of children) child.kill();
  }
}

interface MemberReport {
  calls: number;
  failures: Record<string, number>;
  slowestMs: number;
}

/** Redis's count of the commands it processed since it started (`INFO stats`). */
async function commandsProcessed(redis: RedisServer): Promise<number> {
  const info = String(await redis.command('INFO', 'stats'));
  const match = /total_commands_processed:(\d+)/.exec(info);
  if (match === null) throw new Error('INFO stats has no total_commands_processed');
  return Number(match[1]);
}

function summarise(
  options: FleetRunOptions,
  reports: MemberReport[],
  redisCommandsPerSecond: number,
): FleetRunResult {
  const { simulator } = options;
  const failures: Record<string, number> = {};
  for (const report of reports) {
    for (const [code, times] of Object.entries(report.failures)) {
      failures[code] = (failures[code] ?? 0) + times;
    }
  }
  const requests = simulator.tokenRequests;
  const firstRefresh = requests.findIndex((request) => request.grantType === 'refresh_token');
  const coldStart = firstRefresh < 0 ? requests : requests.slice(0, firstRefresh);
  const refreshTimes = requests
    .filter((request) => request.grantType === 'refresh_token')
    .map((request) => request.receivedAt);
  return {
    replicas: options.processes * options.appsPerProcess,
    processes: options.processes,
    seconds: options.durationMs / 1_000,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds,
    calls: reports.reduce((sum, report) => sum + report.calls, 0),
    failures,
    failedCalls: Object.values(failures).reduce((sum, times) => sum + times, 0),
    slowestCallMs: Math.max(...reports.map((report) => report.slowestMs)),
    coldStartPasswordGrants: coldStart.filter((request) => request.grantType === 'password').length,
    passwordGrants: simulator.stats.passwordGrants,
    refreshGrants: simulator.stats.refreshGrants,
    tokensIssued: simulator.stats.tokensIssued,
    unauthorized: simulator.stats.resourceUnauthorized,
    refreshGaps: refreshTimes.slice(1).map((at, index) => (at - refreshTimes[index]!) / 1_000),
    redisCommandsPerSecond: Math.round(redisCommandsPerSecond),
  };
}

/** The figures of a run, per token lifetime where it means something, as a Markdown table. */
export function fleetTable(result: FleetRunResult): string {
  const lifetimes = result.seconds / result.tokenLifetimeSeconds;
  const perLifetime = (value: number): string => `${value} (${(value / lifetimes).toFixed(2)})`;
  const rows: Array<[string, string]> = [
    [
      'replicas',
      `${result.replicas} (${result.processes} processes × ${result.replicas / result.processes} apps)`,
    ],
    [
      'run',
      `${result.seconds} s of ${result.tokenLifetimeSeconds} s tokens (${lifetimes} lifetimes)`,
    ],
    ['calls', String(result.calls)],
    ['failed calls', String(result.failedCalls)],
    ['slowest call', `${result.slowestCallMs} ms`],
    ['password grants at the cold start', String(result.coldStartPasswordGrants)],
    ['password grants in all (per lifetime)', perLifetime(result.passwordGrants)],
    ['refresh grants (per lifetime)', perLifetime(result.refreshGrants)],
    [
      'refresh grants per renewal',
      (result.refreshGrants / Math.max(1, renewals(result))).toFixed(2),
    ],
    [
      '401s from EnKash (per renewal)',
      `${result.unauthorized} (${(result.unauthorized / Math.max(1, renewals(result))).toFixed(2)})`,
    ],
    [
      'shortest gap between refresh grants',
      result.refreshGaps.length === 0 ? '-' : `${Math.min(...result.refreshGaps).toFixed(2)} s`,
    ],
    ['Redis commands per second', String(result.redisCommandsPerSecond)],
  ];
  return [
    '| | fleet |',
    '| --- | --- |',
    ...rows.map(([name, value]) => `| ${name} | ${value} |`),
  ].join('\n');
}

/**
 * The renewals the run held: refresh grants more than a second apart count as one renewal each; two within a second
 * of each other renewed the same token twice.
 */
export function renewals(result: FleetRunResult): number {
  return result.refreshGrants === 0 ? 0 : 1 + result.refreshGaps.filter((gap) => gap > 1).length;
}
