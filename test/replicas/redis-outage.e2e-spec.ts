// Three replicas sharing a real redis-server that is stopped in the middle of the run and started again (empty, as
// a restarted Redis without persistence is): calls to EnKash keep succeeding throughout, and the replicas go back to
// the store when it answers again.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEnkashSimulator } from '../../lib/testing/index.js';
import { compileChildFixtures, removeChildFixtures } from '../support/child-fixtures.js';
import { startRedisServer } from '../support/redis-server.js';
import type { RedisServer } from '../support/redis-server.js';
import { sleep } from '../support/waiting.js';
import {
  runReplicas,
  sharedTokenIn,
  sideBySide,
  TOKEN_LIFETIME_SECONDS,
} from './replica-harness.js';

const DURATION_MS = 21_000;

describe('three replicas when Redis goes down and comes back', () => {
  let fixtures: string;
  let redis: RedisServer;

  beforeAll(async () => {
    [fixtures, redis] = await Promise.all([
      compileChildFixtures('redis-outage'),
      startRedisServer(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await redis?.close();
    if (fixtures !== undefined) await removeChildFixtures(fixtures);
  });

  it('keeps every call succeeding while Redis is stopped for 7 seconds, and shares the token again after', async () => {
    const simulator = await startEnkashSimulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS });
    let tokenBackInRedis = false;
    try {
      const result = await runReplicas({
        label: 'Redis down 6-13 s',
        fixtures,
        simulator,
        redis: { url: redis.url },
        durationMs: DURATION_MS,
        during: async () => {
          await sleep(6_000);
          await redis.stop();
          await sleep(7_000);
          await redis.start();
          // The replicas write their token back once Redis answers (it restarted empty).
          await sleep(TOKEN_LIFETIME_SECONDS * 1000);
          const shared = await sharedTokenIn({ url: redis.url }, simulator);
          tokenBackInRedis = shared?.accessToken === simulator.currentAccessToken;
        },
      });
      process.stdout.write(`\n${sideBySide([result])}\n\n`);

      expect(result.failures).toEqual({});
      expect(result.calls).toBeGreaterThan(500);
      expect(tokenBackInRedis).toBe(true);
    } finally {
      await simulator.close();
    }
  }, 90_000);
});
