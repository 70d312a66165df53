// Fifty replicas of one application on one Redis, started at once as a deploy starts them: they log in once and
// adopt that token, renew each token once for the whole fleet, and hold their calls while another replica renews,
// so that no call fails and hardly any meets a 401.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEnkashSimulator } from '../../lib/testing/index.js';
import type { EnkashSimulator } from '../../lib/testing/index.js';
import { compileChildFixtures, removeChildFixtures } from '../support/child-fixtures.js';
import { startRedisServer } from '../support/redis-server.js';
import type { RedisServer } from '../support/redis-server.js';
import { fleetTable, renewals, runFleet } from './fleet-harness.js';
import type { FleetRunResult } from './fleet-harness.js';

const TOKEN_LIFETIME_SECONDS = 5;
const LIFETIMES = 10;

describe('a fleet of 50 replicas on one Redis', () => {
  let fixtures: string;
  let redis: RedisServer;
  let simulator: EnkashSimulator;
  let result: FleetRunResult;

  beforeAll(async () => {
    [fixtures, redis, simulator] = await Promise.all([
      compileChildFixtures('fleet'),
      startRedisServer(),
      startEnkashSimulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS }),
    ]);
    result = await runFleet({
      fixtures,
      simulator,
      redis,
      processes: 5,
      appsPerProcess: 10,
      tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
      refreshBeforeExpirySeconds: 1,
      durationMs: LIFETIMES * TOKEN_LIFETIME_SECONDS * 1_000,
    });
    // Printed for BENCHMARKS.md and the closing note.
    process.stdout.write(`\n${fleetTable(result)}\n\n`);
  }, 180_000);

  afterAll(async () => {
    await simulator?.close();
    await redis?.close();
    if (fixtures !== undefined) await removeChildFixtures(fixtures);
  });

  it('fails no call', () => {
    expect(result.failures).toEqual({});
    expect(result.calls).toBeGreaterThan(5_000);
  });

  it('logs in at most twice at the cold start: the others adopt the first token', () => {
    expect(result.coldStartPasswordGrants).toBeGreaterThanOrEqual(1);
    expect(result.coldStartPasswordGrants).toBeLessThanOrEqual(2);
  });

  it('spends at most 1.1 refresh grants per renewal for the whole fleet, and keeps renewing', () => {
    expect(renewals(result)).toBeGreaterThanOrEqual(LIFETIMES);
    expect(result.refreshGrants / renewals(result)).toBeLessThanOrEqual(1.1);
  });

  it('has calls meet at most one 401 per renewal for the whole fleet', () => {
    expect(result.unauthorized).toBeLessThanOrEqual(renewals(result));
  });
});
