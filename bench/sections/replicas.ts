// 6. Several replicas of one application against one EnKash: three processes, with a shared Redis and without.
// The runs are those of test/replicas (the same harness and replica fixture), longer or shorter.
import { startEnkashSimulator } from '../../lib/testing/index.js';
import {
  CALLERS_PER_REPLICA,
  fewestRenewals,
  mostRenewals,
  REFRESH_BEFORE_EXPIRY_SECONDS,
  runReplicas,
  TOKEN_LIFETIME_SECONDS,
} from '../../test/replicas/replica-harness.js';
import { renewalDelayMs } from '../../lib/token/renewal-policy.js';
import type { ReplicaRunResult } from '../../test/replicas/replica-harness.js';
import { compileChildFixtures, removeChildFixtures } from '../../test/support/child-fixtures.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import type { RedisServer } from '../../test/support/redis-server.js';
import type { BenchSizes } from '../bench-sizes.js';
import { count } from '../support/report.js';
import type { SectionResult } from '../support/report.js';

async function run(
  label: string,
  fixtures: string,
  durationMs: number,
  redisUrl?: string,
): Promise<ReplicaRunResult> {
  const simulator = await startEnkashSimulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS });
  try {
    return await runReplicas({
      label,
      fixtures,
      simulator,
      ...(redisUrl !== undefined ? { redis: { url: redisUrl } } : {}),
      durationMs,
    });
  } finally {
    await simulator.close();
  }
}

/** How long before expiry the renewal policy renews the runs' tokens, from the latest to the earliest, in seconds. */
function renewalWindow(): string {
  const lifetimeMs = TOKEN_LIFETIME_SECONDS * 1000;
  const before = (jitter: number): string =>
    String(
      (lifetimeMs - renewalDelayMs(lifetimeMs, REFRESH_BEFORE_EXPIRY_SECONDS, () => jitter)) / 1000,
    );
  return before(0) === before(1) ? before(0) : `${before(0)}–${before(1)}`;
}

export async function measureReplicas(sizes: BenchSizes['replicas']): Promise<SectionResult> {
  const fixtures = await compileChildFixtures('bench-replicas');
  let redis: RedisServer | undefined;
  const notes: string[] = [];
  try {
    try {
      redis = await startRedisServer();
    } catch (error) {
      notes.push(`Without Redis only: redis-server could not start (${(error as Error).message}).`);
    }
    const results: ReplicaRunResult[] = [];
    if (redis !== undefined) {
      results.push(await run('3 replicas sharing Redis', fixtures, sizes.durationMs, redis.url));
    }
    results.push(await run('3 replicas, nothing shared', fixtures, sizes.durationMs));
    const perLifetime = (value: number, result: ReplicaRunResult): string =>
      `${count(value)} (${(value / result.lifetimes).toFixed(1)} per lifetime)`;
    const shared = results.find((result) => result.label.includes('Redis'));
    return {
      title: '6. Replicas',
      setup:
        `Three processes, each its own Nest application with 2 callers calling EnKash through EnkashHttpService ` +
        `continuously for ${sizes.durationMs / 1000} s (${(sizes.durationMs / 1000 / TOKEN_LIFETIME_SECONDS).toFixed(1)} ` +
        `token lifetimes), tokens living ${TOKEN_LIFETIME_SECONDS} s, renewed ${renewalWindow()} s before expiry; the counts are ` +
        "EnKash's (the simulator's), after the three have booted.",
      header: [
        'run',
        'calls',
        'failed calls',
        'refresh grants',
        'password grants',
        '401s from EnKash',
      ],
      rows: results.map((result) => [
        result.label,
        count(result.calls),
        count(result.failedCalls),
        perLifetime(result.refreshGrants, result),
        perLifetime(result.passwordGrants, result),
        perLifetime(result.unauthorized, result),
      ]),
      targets:
        shared === undefined
          ? []
          : [
              {
                goal:
                  'with Redis: no failed call, no password grant, one refresh grant per renewal for the whole ' +
                  'group, and 401s only for calls already on their way when a renewal revoked their token',
                measured:
                  `${shared.failedCalls} failed, ${shared.passwordGrants} password grants, ` +
                  `${shared.refreshGrants} refresh grants (${fewestRenewals(shared)} to ${mostRenewals(shared)} ` +
                  `renewals fit in the run), ${shared.unauthorized} 401s`,
                met:
                  shared.failedCalls === 0 &&
                  shared.passwordGrants === 0 &&
                  shared.refreshGrants >= fewestRenewals(shared) &&
                  shared.refreshGrants <= mostRenewals(shared) &&
                  shared.unauthorized <=
                    shared.refreshGrants * (shared.replicas - 1) * CALLERS_PER_REPLICA,
              },
            ],
      notes,
    };
  } finally {
    await redis?.close();
    await removeChildFixtures(fixtures);
  }
}
