import type { SharedEnkashToken, TokenStore } from './token-store.interface.js';
import { assertLockTtl, callSafely } from './token-store.shared.js';

/** A renewal lock: who holds it, and until when (`Date.now()` epoch milliseconds). */
interface HeldLock {
  readonly owner: string;
  readonly expiresAt: number;
}

/** One call of {@link InMemoryTokenStore.onTokenWritten}: its own object, so that a listener added twice counts twice. */
interface Subscription {
  readonly listener: () => void;
}

/**
 * A {@link TokenStore} for the registrations of one process: those given it that log in to one EnKash account share
 * one token (the key names the EnKash account) without Redis. It behaves as {@link RedisTokenStore} does (the
 * longer-lived token wins, the lock expires, only its owner releases it), and it reads the clock only through
 * `Date.now()` and sets no timers, so that jest's fake timers drive it: expiries are checked when read.
 */
export class InMemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, SharedEnkashToken>();
  private readonly locks = new Map<string, HeldLock>();
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private readonly announcements = new Map<string, Set<Subscription>>();

  /** The token held under `key`, or `undefined` when there is none or it has expired. */
  async get(key: string): Promise<SharedEnkashToken | undefined> {
    const token = this.liveToken(key);
    return token === undefined ? undefined : { ...token };
  }

  /**
   * Holds `token` unless it has expired or the held one lives longer; of two that expire together, the later write
   * wins (the interface's "lives longer": a renewal within the same millisecond must be written). Tells the
   * listeners if it wrote.
   */
  async set(key: string, token: SharedEnkashToken): Promise<boolean> {
    const now = Date.now();
    if (!(token.expiresAt > now)) return false;
    const held = this.liveToken(key);
    if (held !== undefined && held.expiresAt > token.expiresAt) return false;
    this.tokens.set(key, copyToken(token));
    this.notify(this.subscriptions, key);
    return true;
  }

  /** Takes the lock of `key` for `owner` for `ttlMs`, unless another owner holds it; its holder renews it. */
  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    assertLockTtl(ttlMs);
    const now = Date.now();
    const held = this.locks.get(key);
    if (held !== undefined && held.expiresAt > now && held.owner !== owner) return false;
    this.locks.set(key, { owner, expiresAt: now + ttlMs });
    return true;
  }

  /** Releases the lock of `key` only if `owner` still holds it, and tells the listeners that it did. */
  async releaseLock(key: string, owner: string): Promise<void> {
    const held = this.locks.get(key);
    if (held !== undefined && held.owner === owner && held.expiresAt > Date.now()) {
      this.locks.delete(key);
      this.notify(this.subscriptions, key);
    }
  }

  /**
   * Calls `listener` after each write under `key`, and each release of its lock, in a later microtask. Returns the
   * function that stops it.
   */
  onTokenWritten(key: string, listener: () => void): () => void {
    return subscribe(this.subscriptions, key, listener);
  }

  /** Tells the {@link onRenewalAnnounced} listeners of `key`, in a later microtask. */
  async announceRenewal(key: string): Promise<void> {
    this.notify(this.announcements, key);
  }

  /** Calls `listener` after each renewal announced under `key`. Returns the function that stops it. */
  onRenewalAnnounced(key: string, listener: () => void): () => void {
    return subscribe(this.announcements, key, listener);
  }

  /** The token of `key` if it has not expired; forgets an expired one. */
  private liveToken(key: string): SharedEnkashToken | undefined {
    const token = this.tokens.get(key);
    if (token === undefined) return undefined;
    if (token.expiresAt > Date.now()) return token;
    this.tokens.delete(key);
    return undefined;
  }

  /**
   * Calls the listeners of `key` in a microtask, never inside `set`'s caller (which may hold state a listener would
   * re-enter). `Promise.resolve().then` rather than `queueMicrotask`: jest's fake timers replace the latter, and
   * listeners must still run when a test awaits `set`.
   */
  private notify(listeners: Map<string, Set<Subscription>>, key: string): void {
    const subscriptions = listeners.get(key);
    if (subscriptions === undefined) return;
    const snapshot = [...subscriptions];
    void Promise.resolve().then(() => {
      for (const subscription of snapshot) {
        // A listener that stopped listening in the meantime is not called.
        if (listeners.get(key)?.has(subscription)) callSafely(subscription.listener);
      }
    });
  }
}

/** Adds `listener` to those of `key`; returns the function that takes it out again. */
function subscribe(
  listeners: Map<string, Set<Subscription>>,
  key: string,
  listener: () => void,
): () => void {
  const subscription: Subscription = { listener };
  let subscriptions = listeners.get(key);
  if (subscriptions === undefined) {
    subscriptions = new Set();
    listeners.set(key, subscriptions);
  }
  subscriptions.add(subscription);
  return () => {
    const current = listeners.get(key);
    if (current === undefined || !current.delete(subscription)) return;
    if (current.size === 0) listeners.delete(key);
  };
}

/** A copy without extra properties: the store holds what the interface says, nothing a caller added. */
function copyToken(token: SharedEnkashToken): SharedEnkashToken {
  const { accessToken, refreshToken, expiresAt } = token;
  return refreshToken === undefined
    ? { accessToken, expiresAt }
    : { accessToken, refreshToken, expiresAt };
}
