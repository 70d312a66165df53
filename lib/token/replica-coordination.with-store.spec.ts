import { describe, expect, it } from '@jest/globals';
import { EARLIEST_RENEWAL_S, LATEST_RENEWAL_S } from '../../test/support/fake-token-server.js';
import { LIFETIME_S } from '../../test/support/fake-token-server.js';
import { useReplicas, useSharedStore } from '../../test/support/replica-engines.js';
import { accepted, advance, replica } from '../../test/support/replica-engines.js';
import { STORE_KEY, server, store } from '../../test/support/replica-engines.js';
import { ListenerCountingStore } from '../../test/support/listener-counting-store.js';
import { badCredentials } from '../../test/support/token-errors.js';

// Replicas sharing a store: one renews under the lock, the others adopt its token; a lock-out stays one.

describe('several replicas of one account', () => {
  useReplicas();

  describe('with a shared store', () => {
    useSharedStore();

    it('takes the token another replica wrote instead of asking EnKash', async () => {
      const first = replica('first', { store });
      await first.getAccessToken();
      const second = replica('second', { store });

      expect(await second.getAccessToken()).toBe(await first.getAccessToken());
      expect(server.calls).toEqual([
        expect.objectContaining({ replica: 'first', grant: 'password' }),
      ]);
    });

    it('has one replica renew, under the lock, and the others adopt its token when it is written', async () => {
      const replicas = ['a', 'b', 'c'].map((name) => replica(name, { store }));
      await replicas[0]!.getAccessToken();
      await Promise.all(replicas.map((engine) => engine.getAccessToken()));

      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual(['password', 'refresh_token']);
      expect(await accepted(...replicas)).toEqual([true, true, true]);
      // Each adopted the new token at once, and scheduled its next renewal from it.
      for (const { expiresAt, nextRenewalAt } of replicas.map((engine) => engine.getStatus())) {
        expect(expiresAt!.getTime()).toBe(server.calls[1]!.at + LIFETIME_S * 1000);
        expect(expiresAt!.getTime() - nextRenewalAt!.getTime()).toBeGreaterThanOrEqual(300_000);
        expect(expiresAt!.getTime() - nextRenewalAt!.getTime()).toBeLessThanOrEqual(450_000);
      }
    });

    it('logs in once for replicas that boot together: the others adopt that token', async () => {
      const replicas = ['a', 'b', 'c', 'd', 'e'].map((name) => replica(name, { store }));
      for (const engine of replicas) engine.start();
      await advance(0);
      await Promise.all(replicas.map((engine) => engine.getAccessToken()));

      expect(server.grants()).toEqual(['password']);
      expect(await accepted(...replicas)).toEqual([true, true, true, true, true]);
    });

    it('holds the new calls of the others while one replica renews: none goes out with the token it revokes', async () => {
      const early = replica('early', { store, jitter: () => 1 });
      const late = replica('late', { store, jitter: () => 0 });
      const old = await early.getAccessToken();
      await late.getAccessToken();
      server.latencyMs = 200;

      // early's renewal comes first; late hears it announced, and holds its calls until early's token is written.
      await advance(EARLIEST_RENEWAL_S * 1000);
      expect(server.count('refresh_token')).toBe(1);
      expect(late.readyToken()).toBeUndefined();
      const during = late.getAccessToken();
      await advance(200);
      const renewed = await during;
      expect(renewed).not.toBe(old);
      expect(server.accepts(renewed)).toBe(true);
      expect(late.readyToken()).toBe(renewed);
    });

    it('holds them a second at most when the announced token never comes', async () => {
      const late = replica('late', { store, jitter: () => 0 });
      const held = await late.getAccessToken();
      await store.announceRenewal(STORE_KEY); // a replica that announced its renewal, then died
      await advance(0);

      expect(late.readyToken()).toBeUndefined();
      const during = late.getAccessToken();
      await advance(999);
      let settled: string | undefined;
      void during.then((token) => (settled = token));
      await advance(0);
      expect(settled).toBeUndefined();
      await advance(1);
      expect(settled).toBe(held);
      expect(late.readyToken()).toBe(held);
    });

    it('spends exactly one refresh grant per renewal over many lifetimes, whichever replica renews', async () => {
      const replicas = ['a', 'b', 'c'].map((name) => replica(name, { store }));
      await replicas[0]!.getAccessToken();
      await Promise.all(replicas.map((engine) => engine.getAccessToken()));
      await advance(10 * LATEST_RENEWAL_S * 1000);

      expect(server.count('refresh_token')).toBeGreaterThanOrEqual(10);
      expect(Math.min(...server.refreshGaps())).toBeGreaterThanOrEqual(EARLIEST_RENEWAL_S - 1);
      expect(server.count('password')).toBe(1);
      expect(await accepted(...replicas)).toEqual([true, true, true]);
    });

    it("waits for the lock holder instead of renewing, and renews itself once a crashed holder's lock expires", async () => {
      const alone = replica('a', { store, jitter: () => 0 });
      await alone.getAccessToken();
      // A replica that took the lock and died before renewing; its lock lives what the library gives one: the token
      // request timeout (2 s) plus 3 store timeouts (0.5 s each) plus a second.
      await advance(LATEST_RENEWAL_S * 1000 - 1);
      await store.acquireLock(STORE_KEY, 'crashed-replica', 4_500);

      await advance(4_000);
      expect(server.count('refresh_token')).toBe(0);
      expect(await accepted(alone)).toEqual([true]);

      await advance(1_000);
      // Under the lock, with the store answering: no password grant to check first.
      expect(server.grants()).toEqual(['password', 'refresh_token']);
      expect(await accepted(alone)).toEqual([true]);
    });

    it('uses the newer token from the store after a 401, without a token request', async () => {
      const first = replica('first', { store, jitter: () => 0 });
      const second = replica('second', { store, jitter: () => 0 });
      await first.getAccessToken();
      const stale = await second.getAccessToken();
      // `first` renews on demand; `second` has not heard of it yet when EnKash refuses its token.
      const calls = server.calls.length;
      await first.refresh();
      second.invalidate(stale);

      expect(await accepted(second)).toEqual([true]);
      expect(server.calls.slice(calls).map((call) => call.grant)).toEqual(['refresh_token']);
    });

    it('re-acquires with the password grant after a 401 when the store holds only the refused token', async () => {
      const alone = replica('a', { store });
      const refused = await alone.getAccessToken();
      alone.invalidate(refused);
      await advance(1_000);
      expect(server.grants()).toEqual(['password', 'password']);
    });

    it('never lifts a lock-out by adopting a token from the store', async () => {
      const lockedOut = replica('locked', { store });
      server.passwordFailures.push(badCredentials());
      await expect(lockedOut.getAccessToken()).rejects.toMatchObject({
        code: 'invalid_credentials',
      });
      const healthy = replica('healthy', { store });
      await healthy.getAccessToken();
      await advance(0);

      expect(await accepted(lockedOut)).toEqual([true]);
      lockedOut.invalidate(await lockedOut.getAccessToken());
      await advance(5_000);
      expect(server.count('password', 'locked')).toBe(1);
      expect(lockedOut.getStatus().state).toBe('locked_out');
    });

    it('stops listening to the store when closed', async () => {
      const counted = new ListenerCountingStore();
      const alone = replica('a', { store: counted });
      await alone.getAccessToken();
      expect(counted.listeners(STORE_KEY)).toBe(1);
      alone.close();
      expect(counted.listeners(STORE_KEY)).toBe(0);
      await counted.set(STORE_KEY, { accessToken: 'later', expiresAt: Date.now() + 600_000 });
      await advance(0);
      expect(alone.getStatus().tokensObtained).toBe(1);
    });
  });
});
