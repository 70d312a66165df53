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
  fewestRenewals,
  mostRenewals,
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
          redis: { url: redis.url },
          durationMs: DURATION_MS,
        });
        results.push(result);

        expect(result.failures).toEqual({});
        expect(result.calls).toBeGreaterThan(500);
        // Renewals go on: about one per token lifetime...
        expect(result.renewals).toBeGreaterThanOrEqual(fewestRenewals(result));
        // ...and never two for one token: no replica renews what another already renewed.
        expect(result.sameTokenRefreshes).toBe(0);
        expect(result.refreshGrants).toBeLessThanOrEqual(mostRenewals(result));
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

        // Redis holds the token sealed under a hashed key: no token, neither the password, the client secret nor
        // the username.
        const entries = await redis.dump();
        const stored = JSON.stringify(entries);
        for (const secret of [
          ...simulator.issuedTokens,
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
    'without Redis: renewals carry jitter and check with EnKash first, so each replica renews a token at most once and no call fails',
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
        // Renewals come no sooner than the renewal policy allows, whoever renews. The replicas that recovered from a
        // 401 with the password grant renew first: EnKash hands the token back with `expires_in` in whole seconds,
        // rounded down, so they believe it expires up to a second early (see earliestRenewalMs).
        expect(result.renewals).toBeLessThanOrEqual(mostRenewals(result));
        // Two replicas renew one token only when both checked EnKash's token before either's refresh grant reached
        // it: rare (the table prints how often), and never more than once per replica, since after its check or
        // its refresh grant a replica holds the newest token.
        expect(result.sameTokenRefreshes).toBeLessThanOrEqual(
          result.renewals * (result.replicas - 1),
        );
        // A 401 is recovered with the password grant, which hands back the current token without revoking it.
        expect(result.passwordGrants).toBeGreaterThan(0);
      } finally {
        await simulator.close();
      }
    },
    RUN_LIMIT_MS,
  );
});
