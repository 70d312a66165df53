import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { resolveEnkashAuthOptions } from '../enkash-auth.options.js';
import { InMemoryTokenStore } from '../store/in-memory-token-store.js';
import type { SharedEnkashToken, TokenStore } from '../store/token-store.interface.js';
import type { EnkashServerTokenCheck } from '../interfaces/enkash-auth-options.interface.js';
import { RenewalTimer } from './renewal-timer.js';
import type { TokenGrantClient } from './token-engine.js';
import { TokenEngine } from './token-engine.js';
import { UNIT_REGISTRATION } from '../../test/support/unit-options.js';
import { badCredentials, serverError } from '../../test/support/token-errors.js';
import type { TokenSet } from './token-set.js';

const LIFETIME_S = 3_600;
// Renewal margin: 300 s; with the jitter, renewals fall between 300 and 450 s before expiry: from 3150 to 3300 s
// into a token's life.
const EARLIEST_RENEWAL_S = LIFETIME_S - 450;
const LATEST_RENEWAL_S = LIFETIME_S - 300;

/**
 * EnKash's token server as Spring's DefaultTokenServices behaves, in fake time: a password grant hands back the
 * current token while it is valid; a refresh grant revokes it at once and issues a new one.
 */
class TokenServer {
  readonly calls: Array<{ replica: string; grant: 'password' | 'refresh_token'; at: number }> = [];
  /** Errors the next password grants throw, in order. */
  readonly passwordFailures: EnkashAuthError[] = [];
  private current: { value: string; expiresAt: number } | undefined;
  private issued = 0;

  clientFor(replica: string): TokenGrantClient {
    return {
      requestPasswordGrant: () => {
        this.calls.push({ replica, grant: 'password', at: Date.now() });
        const failure = this.passwordFailures.shift();
        if (failure !== undefined) return Promise.reject(failure);
        if (this.current === undefined || this.current.expiresAt <= Date.now()) this.issue();
        return Promise.resolve(this.answer());
      },
      requestRefreshGrant: () => {
        this.calls.push({ replica, grant: 'refresh_token', at: Date.now() });
        this.issue();
        return Promise.resolve(this.answer());
      },
      close: () => undefined,
    };
  }

  /** Whether EnKash accepts `token` on a resource call. */
  accepts(token: string | undefined): boolean {
    return (
      token !== undefined && token === this.current?.value && this.current.expiresAt > Date.now()
    );
  }

  /** Seconds between consecutive refresh grants, whichever replica sent them. */
  refreshGaps(): number[] {
    const times = this.calls
      .filter((call) => call.grant === 'refresh_token')
      .map((call) => call.at);
    return times.slice(1).map((at, index) => (at - times[index]!) / 1000);
  }

  grants(): string[] {
    return this.calls.map((call) => call.grant);
  }

  count(grant: 'password' | 'refresh_token', replica?: string): number {
    return this.calls.filter(
      (call) => call.grant === grant && (replica === undefined || call.replica === replica),
    ).length;
  }

  private issue(): void {
    this.issued += 1;
    this.current = { value: `access-${this.issued}`, expiresAt: Date.now() + LIFETIME_S * 1000 };
  }

  private answer(): TokenSet {
    const current = this.current!;
    return {
      accessToken: current.value,
      refreshToken: 'refresh-1',
      lifetimeMs: Math.floor((current.expiresAt - Date.now()) / 1000) * 1000,
      lifetimeAssumed: false,
    };
  }
}

/** A store that stops answering (rejecting or hanging) while `down` says so, around a working one. */
class FlakyStore implements TokenStore {
  mode: 'up' | 'rejecting' | 'hanging' = 'up';
  constructor(private readonly inner: TokenStore) {}
  get(key: string): Promise<SharedEnkashToken | undefined> {
    return this.guard(() => this.inner.get(key));
  }
  set(key: string, token: SharedEnkashToken): Promise<boolean> {
    return this.guard(() => this.inner.set(key, token));
  }
  acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.guard(() => this.inner.acquireLock(key, owner, ttlMs));
  }
  releaseLock(key: string, owner: string): Promise<void> {
    return this.guard(() => this.inner.releaseLock(key, owner));
  }
  onTokenWritten(key: string, listener: () => void): () => void {
    return this.inner.onTokenWritten(key, listener);
  }
  private guard<T>(operation: () => Promise<T>): Promise<T> {
    if (this.mode === 'rejecting') return Promise.reject(new Error('connect ECONNREFUSED'));
    if (this.mode === 'hanging') return new Promise<T>(() => undefined);
    return operation();
  }
}

const STORE_KEY = 'account-key';

describe('several replicas of one account', () => {
  let server: TokenServer;
  let registry: SchedulerRegistry;
  const managers: TokenEngine[] = [];
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };

  function replica(
    name: string,
    {
      store,
      jitter = Math.random,
      serverTokenCheck = 'auto',
    }: {
      store?: TokenStore;
      jitter?: () => number;
      serverTokenCheck?: EnkashServerTokenCheck;
    } = {},
  ): TokenEngine {
    const options = resolveEnkashAuthOptions({
      ...UNIT_REGISTRATION,
      tokenRequestTimeoutMs: 2_000,
      serverTokenCheck,
    });
    const manager = new TokenEngine({
      options,
      client: server.clientFor(name),
      timer: new RenewalTimer(registry, `enkash-auth:token-renewal:${name}`),
      logger,
      renewalJitter: jitter,
      random: () => 1,
      ...(store !== undefined ? { sharedStore: { store, key: STORE_KEY } } : {}),
    });
    managers.push(manager);
    return manager;
  }

  async function advance(ms: number): Promise<void> {
    await jest.advanceTimersByTimeAsync(ms);
  }

  /** Each replica's token as a caller would get it, and whether EnKash accepts it. */
  async function accepted(...replicas: TokenEngine[]): Promise<boolean[]> {
    const tokens = await Promise.all(replicas.map((manager) => manager.getAccessToken()));
    return tokens.map((token) => server.accepts(token));
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-11-25T08:00:00Z') });
    server = new TokenServer();
    registry = new SchedulerRegistry();
    logger.log.mockClear();
    logger.warn.mockClear();
    logger.error.mockClear();
  });

  afterEach(() => {
    for (const manager of managers.splice(0)) manager.close();
    jest.useRealTimers();
  });

  describe('without a shared store', () => {
    it('renews a lone instance with the refresh grant alone, without an extra login', async () => {
      const alone = replica('a', { jitter: () => 0 });
      await alone.getAccessToken();
      await advance(LATEST_RENEWAL_S * 1000);
      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual(['password', 'refresh_token', 'refresh_token']);
    });

    it('checks before every refresh grant once EnKash refused a token of its own before it expired', async () => {
      const first = replica('first', { jitter: () => 0 });
      const second = replica('second', { jitter: () => 1 });
      const stale = await first.getAccessToken();
      await second.getAccessToken();
      await second.refresh(); // a replica renews; EnKash revokes first's token
      first.invalidate(stale); // ...and first meets a 401
      await advance(1_000);
      expect(await accepted(first, second)).toEqual([true, true]);
      expect(server.grants()).toEqual(['password', 'password', 'refresh_token', 'password']);

      // second renews first, 450 s before expiry, unchecked; first checks and adopts its token.
      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants().slice(4)).toEqual(['refresh_token', 'password']);
      expect(await accepted(first, second)).toEqual([true, true]);
    });

    it('asks EnKash for its current token before a refresh grant, and refreshes when it is still ours', async () => {
      const alone = replica('a', { jitter: () => 0, serverTokenCheck: 'always' });
      await alone.getAccessToken();
      expect(server.grants()).toEqual(['password']);

      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual(['password', 'password', 'refresh_token']);
      expect(await accepted(alone)).toEqual([true]);
    });

    it('adopts the token another replica renewed instead of revoking it with a refresh grant of its own', async () => {
      const first = replica('first', { jitter: () => 1, serverTokenCheck: 'always' }); // 450 s before expiry
      const second = replica('second', { jitter: () => 0, serverTokenCheck: 'always' }); // 300 s before
      await first.getAccessToken();
      await second.getAccessToken();
      expect(await second.getAccessToken()).toBe(await first.getAccessToken());

      await advance(EARLIEST_RENEWAL_S * 1000);
      expect(server.count('refresh_token')).toBe(1);
      await advance((LATEST_RENEWAL_S - EARLIEST_RENEWAL_S) * 1000);
      expect(server.count('password', 'second')).toBe(2);

      expect(server.count('refresh_token', 'second')).toBe(0);
      expect(server.count('refresh_token')).toBe(1);
      expect(await accepted(first, second)).toEqual([true, true]);
    });

    it('keeps three replicas to one refresh grant per token lifetime, day after day', async () => {
      const replicas = ['a', 'b', 'c'].map((name) => replica(name, { serverTokenCheck: 'always' }));
      for (const manager of replicas) await manager.getAccessToken();
      await advance(24 * LATEST_RENEWAL_S * 1000);

      // The first replica to renew spends the refresh grant; the others find its token with a password grant.
      expect(server.count('refresh_token')).toBeGreaterThanOrEqual(24);
      expect(Math.min(...server.refreshGaps())).toBeGreaterThanOrEqual(EARLIEST_RENEWAL_S - 1);
      expect(await accepted(...replicas)).toEqual([true, true, true]);
    });

    it('gives the check up after EnKash refuses the password once, and renews with the refresh grant all the same', async () => {
      const alone = replica('a', { jitter: () => 0, serverTokenCheck: 'always' });
      await alone.getAccessToken();
      server.passwordFailures.push(badCredentials());

      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual([
        'password',
        'password', // refused: one failed login
        'refresh_token',
      ]);
      expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('without that check'));
      expect(logger.error).not.toHaveBeenCalled();

      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants().slice(3)).toEqual(['refresh_token']);
      expect(await accepted(alone)).toEqual([true]);
      expect(alone.getStatus().state).toBe('valid');
    });

    it('sends no other password grant of its own after the check was refused: a 401 fails with that error', async () => {
      const alone = replica('a', { jitter: () => 0, serverTokenCheck: 'always' });
      await alone.getAccessToken();
      server.passwordFailures.push(badCredentials());
      await advance(LATEST_RENEWAL_S * 1000);
      alone.invalidate(await alone.getAccessToken());
      await advance(5_000);

      // One failed login in all: the check. The 401 sent no password grant.
      expect(server.grants()).toEqual(['password', 'password', 'refresh_token']);
      await expect(alone.getAccessToken()).rejects.toMatchObject({ code: 'invalid_credentials' });
      expect(alone.getStatus().state).toBe('locked_out');
    });

    it('retries later with backoff when the check fails for a transient reason, without spending the refresh grant', async () => {
      const alone = replica('a', { jitter: () => 0, serverTokenCheck: 'always' });
      await alone.getAccessToken();
      server.passwordFailures.push(serverError());

      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.count('refresh_token')).toBe(0);
      expect(alone.getStatus()).toMatchObject({
        consecutiveFailures: 1,
        lastErrorCode: 'server_error',
      });
      expect(await accepted(alone)).toEqual([true]);

      await advance(1_000);
      expect(server.grants()).toEqual(['password', 'password', 'password', 'refresh_token']);
    });

    it('never checks when told so, even after a 401', async () => {
      const alone = replica('a', { jitter: () => 0, serverTokenCheck: 'never' });
      alone.invalidate(await alone.getAccessToken());
      await advance(1_000);
      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual(['password', 'password', 'refresh_token']);
    });

    it('brings each renewal forward by a random part of half the margin', async () => {
      const early = replica('early', { jitter: () => 1 });
      await early.getAccessToken();
      const expiresAt = early.getStatus().expiresAt!.getTime();
      expect(expiresAt - early.getStatus().nextRenewalAt!.getTime()).toBe(450_000);
      expect(expiresAt - Date.now()).toBe(LIFETIME_S * 1000);

      const late = replica('late', { jitter: () => 0.2 });
      await late.getAccessToken();
      expect(expiresAt - late.getStatus().nextRenewalAt!.getTime()).toBe(330_000);
    });
  });

  describe('with a shared store', () => {
    let store: InMemoryTokenStore;

    beforeEach(() => {
      store = new InMemoryTokenStore();
    });

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
      await Promise.all(replicas.map((manager) => manager.getAccessToken()));

      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual(['password', 'refresh_token']);
      expect(await accepted(...replicas)).toEqual([true, true, true]);
      // Each adopted the new token at once, and scheduled its next renewal from it.
      for (const { expiresAt, nextRenewalAt } of replicas.map((manager) => manager.getStatus())) {
        expect(expiresAt!.getTime()).toBe(server.calls[1]!.at + LIFETIME_S * 1000);
        expect(expiresAt!.getTime() - nextRenewalAt!.getTime()).toBeGreaterThanOrEqual(300_000);
        expect(expiresAt!.getTime() - nextRenewalAt!.getTime()).toBeLessThanOrEqual(450_000);
      }
    });

    it('spends exactly one refresh grant per renewal over many lifetimes, whichever replica renews', async () => {
      const replicas = ['a', 'b', 'c'].map((name) => replica(name, { store }));
      await replicas[0]!.getAccessToken();
      await Promise.all(replicas.map((manager) => manager.getAccessToken()));
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

    it.each(['rejecting', 'hanging'] as const)(
      'renews on its own, checking with EnKash first, while the store is %s, and warns once',
      async (mode) => {
        const flaky = new FlakyStore(store);
        const alone = replica('a', { store: flaky, jitter: () => 0 });
        await alone.getAccessToken();
        flaky.mode = mode;

        await advance(LATEST_RENEWAL_S * 1000 + 2_000);
        expect(server.grants()).toEqual(['password', 'password', 'refresh_token']);
        expect(await accepted(alone)).toEqual([true]);
        await advance(LATEST_RENEWAL_S * 1000 + 2_000);
        expect(server.count('refresh_token')).toBe(2);
        const storeWarnings = logger.warn.mock.calls.filter(([line]) =>
          String(line).includes('shared token store did not answer'),
        );
        expect(storeWarnings).toHaveLength(1);
      },
    );

    it('writes its token back when the store answers again, and coordinates through it again', async () => {
      const flaky = new FlakyStore(new InMemoryTokenStore());
      const first = replica('first', { store: flaky, jitter: () => 0 });
      await first.getAccessToken();
      flaky.mode = 'rejecting';
      await advance(LATEST_RENEWAL_S * 1000);
      flaky.mode = 'up';
      // The store restarted empty; the next store operation finds it answering again.
      await advance(LATEST_RENEWAL_S * 1000);

      expect(logger.log).toHaveBeenCalledWith(expect.stringContaining('answers again'));
      const second = replica('second', { store: flaky });
      const calls = server.calls.length;
      expect(await second.getAccessToken()).toBe(await first.getAccessToken());
      expect(server.calls.length).toBe(calls);
    });

    it('stops listening to the store when closed', async () => {
      const alone = replica('a', { store });
      await alone.getAccessToken();
      alone.close();
      await store.set(STORE_KEY, { accessToken: 'later', expiresAt: Date.now() + 600_000 });
      await advance(0);
      expect(alone.getStatus().tokensObtained).toBe(1);
    });
  });
});
