// 8. A fleet of replicas on one Redis, started at once as a deploy starts them: the run of test/replicas/fleet, with
// the same harness and fixture.
import { startEnkashSimulator } from '../../lib/testing/index.js';
import { fleetTable, renewals, runFleet } from '../../test/replicas/fleet-harness.js';
import { compileChildFixtures, removeChildFixtures } from '../../test/support/child-fixtures.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import type { BenchSizes } from '../bench-sizes.js';
import type { SectionResult } from '../support/report.js';

const TOKEN_LIFETIME_SECONDS = 5;

export async function measureFleet(sizes: BenchSizes['fleet']): Promise<SectionResult> {
  const fixtures = await compileChildFixtures('bench-fleet');
  const redis = await startRedisServer();
  const simulator = await startEnkashSimulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS });
  try {
    const result = await runFleet({
      fixtures,
      simulator,
      redis,
      processes: sizes.processes,
      appsPerProcess: sizes.appsPerProcess,
      tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
      refreshBeforeExpirySeconds: 1,
      durationMs: sizes.lifetimes * TOKEN_LIFETIME_SECONDS * 1_000,
    });
    const table = fleetTable(result);
    const rows = table
      .split('\n')
      .slice(2)
      .map((line) => line.slice(2, -2).split(' | '));
    const renewed = Math.max(1, renewals(result));
    return {
      title: '8. A fleet of replicas on one Redis',
      setup:
        `${result.processes} processes of ${result.replicas / result.processes} Nest application contexts each, ` +
        'every context with its own token engine, Redis connections and timers (test/fixtures/fleet-member.ts), ' +
        'all booting at once as a deploy starts them, against one simulator and one redis-server on loopback; one ' +
        `caller per replica, a call every 250 ms; ${TOKEN_LIFETIME_SECONDS} s tokens renewed 1 s before expiry.`,
      header: ['', 'fleet'],
      rows,
      targets: [
        {
          goal: 'fleet: password grants at the cold start ≤ 2',
          measured: String(result.coldStartPasswordGrants),
          met: result.coldStartPasswordGrants <= 2,
        },
        {
          goal: 'fleet: refresh grants per renewal ≤ 1.1',
          measured: (result.refreshGrants / renewed).toFixed(2),
          met: result.refreshGrants / renewed <= 1.1,
        },
        {
          goal: 'fleet: 401s per renewal ≤ 1',
          measured: (result.unauthorized / renewed).toFixed(2),
          met: result.unauthorized / renewed <= 1,
        },
        {
          goal: 'fleet: failed calls 0',
          measured: String(result.failedCalls),
          met: result.failedCalls === 0,
        },
      ],
    };
  } finally {
    await simulator.close();
    await redis.close();
    await removeChildFixtures(fixtures);
  }
}
