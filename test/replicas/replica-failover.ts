// What the failover runs of test/replicas need besides the harness: the replicas' account as the store names it, and
// the moments a replica takes or releases the renewal lock on a given Redis node, told by the node itself.
import { Redis } from 'ioredis';
import { tokenStoreKey } from '../../lib/store/token-store-key.js';
import type { EnkashSimulator } from '../../lib/testing/index.js';
import type { RedisServer } from '../support/redis-server.js';

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
