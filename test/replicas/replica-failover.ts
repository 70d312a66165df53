// What the failover runs of test/replicas need besides the harness: the replicas' account as the store names it, the
// moments a replica takes or releases the renewal lock on a given Redis node, told by the node itself, and the run
// both topologies share: a failover between two renewals, then a lock lost under a slow refresh grant.
import { expect } from '@jest/globals';
import { Redis } from 'ioredis';
import { tokenStoreKey } from '../../lib/store/token-store-key.js';
import { startEnkashSimulator } from '../../lib/testing/index.js';
import type { EnkashSimulator } from '../../lib/testing/index.js';
import type { RedisServer } from '../support/redis-server.js';
import { sleep } from '../support/waiting.js';
import {
  CALLERS_PER_REPLICA,
  fewestRenewals,
  mostRenewals,
  runReplicas,
  sharedTokenIn,
  sideBySide,
} from './replica-harness.js';
import type { ReplicaRedis } from './replica-harness.js';

/** The store key of the account the replicas of a run log in to (the simulator's). */
export function accountKeyOf(simulator: EnkashSimulator): string {
  return tokenStoreKey({
    baseUrl: simulator.url,
    tokenPath: simulator.options.tokenPath,
    clientId: simulator.options.clientId,
    username: simulator.options.username,
  });
}

/** What to wait for on the renewal lock of an account. */
export type LockMoment =
  /** A replica releases the lock: its renewal is over, its token written. */
  | 'released'
  /** A replica takes the lock; with `lose`, the lock is deleted at once, as a failover to a node that never got it. */
  | 'taken';

/**
 * Resolves `true` as soon as the renewal lock of `account` is `moment` on `server` (told by a keyspace notification,
 * which the node is configured to send), `false` after `timeoutMs`. With `lose`, a lock taken is deleted right away
 * on a connection kept ready for it: its holder renews on, while the other replicas find no lock. The connections are
 * closed when it settles.
 */
export async function lockMomentOn(
  server: RedisServer,
  account: string,
  moment: LockMoment,
  { timeoutMs, lose = false }: { timeoutMs: number; lose?: boolean },
): Promise<boolean> {
  const lockKey = `enkash-auth:lock:{${account}}`;
  const options = {
    host: '127.0.0.1',
    port: server.port,
    lazyConnect: true,
    retryStrategy: () => null,
    ...(server.password !== undefined ? { password: server.password } : {}),
  };
  const admin = new Redis(options);
  const subscriber = new Redis(options);
  for (const connection of [admin, subscriber]) connection.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await admin.connect();
    // K: keyspace events; g: generic commands (DEL); $: string commands (SET).
    await admin.config('SET', 'notify-keyspace-events', 'Kg$');
    await subscriber.connect();
    const seen = new Promise<boolean>((resolve) => {
      subscriber.on('message', (_channel: string, event: string) => {
        if (moment === 'released' && event === 'del') resolve(true);
        if (moment === 'taken' && event === 'set') {
          if (lose)
            admin.del(lockKey).then(
              () => resolve(true),
              () => resolve(true),
            );
          else resolve(true);
        }
      });
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    await subscriber.subscribe(`__keyspace@0__:${lockKey}`);
    return await seen;
  } finally {
    clearTimeout(timer);
    admin.disconnect();
    subscriber.disconnect();
  }
}

const DURATION_MS = 21_000;
/**
 * Longer than the other runs' 5 s: renewals about 6 s apart leave room for the ~2.5 s a failover takes between two
 * of them (a renewal while the store does not answer is a lone instance's, which test/replicas/redis-outage covers).
 */
const TOKEN_LIFETIME_SECONDS = 8;
/** How long the refresh grant sent under the lock that is lost takes at EnKash. */
const SLOW_REFRESH_MS = 1_000;

/** A Redis topology as the failover run drives it. */
export interface FailoverTopology {
  readonly label: string;
  readonly fixtures: string;
  readonly redis: ReplicaRedis;
  /**
   * Fails the topology over once a renewal is over (`renewalOver` tells when, on the node it is given), and returns
   * once a new primary serves the account; `mark` notes each step in the run's timeline.
   */
  failOver(
    account: string,
    renewalOver: (primary: RedisServer) => Promise<boolean>,
    mark: (what: string) => void,
  ): Promise<boolean>;
  /** The node that holds the account's keys now. */
  primary(account: string): Promise<RedisServer>;
}

/**
 * Three replicas calling EnKash for 21 s on `topology`: it fails over between two renewals, then the renewal lock is
 * lost the moment a replica takes it while that replica's refresh grant is slow. Asserts that no call fails, that the
 * failover costs no refresh grant and the lost lock one more at most, and that the store ends with EnKash's token.
 */
export async function expectFailoverCostsNoCall(topology: FailoverTopology): Promise<void> {
  const simulator = await startEnkashSimulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS });
  const timeline: string[] = [];
  const seen = { released: false, taken: false };
  let tokenShared = false;
  try {
    const result = await runReplicas({
      label: topology.label,
      fixtures: topology.fixtures,
      simulator,
      redis: topology.redis,
      durationMs: DURATION_MS,
      during: async () => {
        const started = Date.now();
        const mark = (what: string): void => {
          timeline.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${what}`);
        };
        const account = accountKeyOf(simulator);
        seen.released = await topology.failOver(
          account,
          (primary) => lockMomentOn(primary, account, 'released', { timeoutMs: 12_000 }),
          mark,
        );
        simulator.injectFault({ kind: 'delay', ms: SLOW_REFRESH_MS }, { grant: 'refresh_token' });
        seen.taken = await lockMomentOn(await topology.primary(account), account, 'taken', {
          timeoutMs: 12_000,
          lose: true,
        });
        mark('lock taken, and lost');
        // The renewal under the lost lock writes its token to the new primary once EnKash answers it.
        await sleep(2 * SLOW_REFRESH_MS);
        tokenShared =
          (await sharedTokenIn(topology.redis, simulator))?.accessToken ===
          simulator.currentAccessToken;
      },
    });
    process.stdout.write(`\n${sideBySide([result])}\n${timeline.join('\n')}\n\n`);

    expect(result.failures).toEqual({});
    expect(result.calls).toBeGreaterThan(500);
    expect(seen).toEqual({ released: true, taken: true });
    expect(result.renewals).toBeGreaterThanOrEqual(fewestRenewals(result));
    expect(result.renewals).toBeLessThanOrEqual(mostRenewals(result));
    // The lost lock lets one more replica renew the token being renewed: one more grant, the third replica finding
    // the lock taken again. The failover between renewals costs none.
    expect(result.sameTokenRefreshes).toBeLessThanOrEqual(1);
    // Each revocation reaches the calls on their way at the other replicas, each recovered with one replay (and,
    // when the store has no newer token yet, one password grant per replica).
    expect(result.unauthorized).toBeLessThanOrEqual(
      result.refreshGrants * (result.replicas - 1) * CALLERS_PER_REPLICA,
    );
    expect(result.passwordGrants).toBeLessThanOrEqual(result.refreshGrants * result.replicas);
    expect(tokenShared).toBe(true);
  } finally {
    await simulator.close();
  }
}
