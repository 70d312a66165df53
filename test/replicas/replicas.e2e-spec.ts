// Three replicas of one application, each a Node process of its own, calling EnKash continuously for 21 seconds with
// 5-second tokens: once sharing a real redis-server, once with nothing shared. EnKash's refresh grant revokes the
// previous token at once, so uncoordinated renewals would knock each other's tokens out.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEnkashSimulator } from '../../lib/testing/index.js';
import { compileChildFixtures, removeChildFixtures } from '../support/child-fixtures.js';
import { startRedisServer } from '../support/redis-server.js';
import type { RedisServer } from '../support/redis-server.js';
import {
  CALLERS_PER_REPLICA,
  EARLIEST_RENEWAL_SECONDS,
  runReplicas,
  sideBySide,
  TOKEN_LIFETIME_SECONDS,
} from './replica-harness.js';
import type { ReplicaRunResult } from './replica-harness.js';

const DURATION_MS = 21_000;
const RUN_LIMIT_MS = 90_000;

describe('three replicas calling EnKash continuously', () => {
  let fixtures: string;
  let redis: RedisServer;
  const results: ReplicaRunResult[] = [];

  beforeAll(async () => {
    [fixtures, redis] = await Promise.all([compileChildFixtures('replicas'), startRedisServer()]);
  }, 60_000);

  afterAll(async () => {
    // Printed for the README and the closing note: the uncoordinated figures show why the store exists.
    if (results.length > 0) process.stdout.write(`\n${sideBySide(results)}\n\n`);
    await redis?.close();
    if (fixtures !== undefined) await removeChildFixtures(fixtures);
  });

  /** Refresh grants the whole group may spend: one per renewal, renewals being at least a quarter-life apart. */
  function mostRefreshGrants(): number {
    return Math.floor(DURATION_MS / 1000 / EARLIEST_RENEWAL_SECONDS) + 1;
  }

  it(
    'sharing Redis: one refresh grant per token renewal for the whole group, and no call fails',
    async () => {
      const simulator = await startEnkashSimulator({
        tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
      });
      try {
        const result = await runReplicas({
          label: 'with Redis',
          fixtures,
          simulator,
          redisUrl: redis.url,
          durationMs: DURATION_MS,
        });
        results.push(result);

        expect(result.failures).toEqual({});
        expect(result.calls).toBeGreaterThan(500);
        // Renewals go on: about one per token lifetime...
        expect(result.refreshGrants).toBeGreaterThanOrEqual(
          Math.floor(DURATION_MS / 1000 / TOKEN_LIFETIME_SECONDS),
        );
        // ...and never two for one token: no replica renews what another already renewed.
        expect(result.refreshGrants).toBeLessThanOrEqual(mostRefreshGrants());
        // A replica times a renewal from when it began the previous one, which on a loaded machine can reach EnKash
        // most of a second later (the Redis lock, the store's reads): gaps at EnKash may be that much shorter than
        // EARLIEST_RENEWAL_SECONDS. Two replicas renewing one token would do it within the jitter of each other,
        // well under half of it.
        expect(Math.min(...result.refreshGaps)).toBeGreaterThan(EARLIEST_RENEWAL_SECONDS / 2);
        // The others adopt the new token from Redis: every new token is a renewal's. A call that meets the 401
        // before the renewing replica has stored the new token makes its replica ask EnKash which token is current:
        // a password grant, which EnKash answers with the token it already issued, so no token comes of it and none
        // is revoked. It happens now and then on a loaded machine, at most once per renewal for each other replica
        // (issue 20 has the others wait for the renewal instead). Only calls already on their way with the old token
        // when it was revoked meet a 401 (each retried once with the new token): at most the callers of the other
        // replicas, per renewal.
        expect(result.tokensIssued).toBe(result.refreshGrants);
        expect(result.passwordGrants).toBeLessThanOrEqual(
          result.refreshGrants * (result.replicas - 1),
        );
        expect(result.unauthorized).toBeLessThanOrEqual(
          result.refreshGrants * (result.replicas - 1) * CALLERS_PER_REPLICA,
        );

        // Redis holds the token under a hashed key: neither the password, the client secret nor the username.
        const entries = await redis.dump();
        const stored = JSON.stringify(entries);
        for (const secret of [
          simulator.options.password,
          simulator.options.clientSecret,
          simulator.options.username,
          encodeURIComponent(simulator.options.username),
        ]) {
          expect(stored).not.toContain(secret);
        }
        const tokenEntry = entries.find((entry) => entry.key.startsWith('enkash-auth:token:'));
        expect(tokenEntry?.ttlMs).toBeGreaterThan(0);
        expect(tokenEntry?.ttlMs).toBeLessThanOrEqual(TOKEN_LIFETIME_SECONDS * 1000);
      } finally {
        await simulator.close();
      }
    },
    RUN_LIMIT_MS,
  );

  it(
    'without Redis: renewals carry jitter and check with EnKash first, so the group still spends about one refresh grant per renewal and no call fails',
    async () => {
      const simulator = await startEnkashSimulator({
        tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
      });
      try {
        const result = await runReplicas({
          label: 'without Redis',
          fixtures,
          simulator,
          durationMs: DURATION_MS,
        });
        results.push(result);

        expect(result.failures).toEqual({});
        expect(result.calls).toBeGreaterThan(500);
        expect(result.refreshGrants).toBeLessThanOrEqual(mostRefreshGrants() + 2);
        // A 401 is recovered with the password grant, which hands back the current token without revoking it.
        expect(result.passwordGrants).toBeGreaterThan(0);
      } finally {
        await simulator.close();
      }
    },
    RUN_LIMIT_MS,
  );
});
