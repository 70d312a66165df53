import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { tokenStoreAnswersAgain, tokenStoreUnavailable } from '../enkash-auth.messages.js';
import type { SharedEnkashToken, TokenStore } from '../store/token-store.interface.js';

/** How long one store operation may take before the instance carries on without the store. */
export const DEFAULT_STORE_OPERATION_TIMEOUT_MS = 500;

/** What became of an attempt to take the renewal lock. */
export type LockOutcome = 'acquired' | 'held-elsewhere' | 'unavailable';

/**
 * What the store tells the engine without being asked: a token was written (or the lock released), it answers again
 * after failing, or an instance is about to send the refresh grant.
 */
export type StoreNotice = 'written' | 'answersAgain' | 'renewalAnnounced';

/** Everything {@link TokenSharing} needs; `key` names the EnKash account in the store. */
export interface TokenSharingOptions {
  store: TokenStore;
  key: string;
  /** Bounds the refresh grant made under the renewal lock. */
  tokenRequestTimeoutMs: number;
  operationTimeoutMs?: number;
  logger: Pick<LoggerService, 'log' | 'warn'>;
}

/**
 * The token engine's side of a {@link TokenStore}: bounds every operation with a short timeout, turns failures into
 * "carry on without the store" answers, and says once when the store stops answering and once when it is back.
 * A store that is down or slow never stops a call to EnKash.
 */
export class TokenSharing {
  /** Identifies this instance as the owner of the renewal lock. */
  readonly owner = randomUUID();
  private available = true;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private listener: ((notice: StoreNotice) => void) | undefined;
  private readonly stopListening: () => void;
  private readonly stopHearingRenewals: () => void;
  private readonly operationTimeoutMs: number;
  /**
   * How long the renewal lock lives if its holder never releases it (a crashed instance): long enough for the
   * re-read, the refresh grant and the write; short enough that the holder is replaced well before the token it was
   * renewing expires.
   */
  readonly lockTtlMs: number;

  constructor(private readonly options: TokenSharingOptions) {
    this.operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_STORE_OPERATION_TIMEOUT_MS;
    this.lockTtlMs = options.tokenRequestTimeoutMs + 3 * this.operationTimeoutMs + 1_000;
    this.stopListening = options.store.onTokenWritten(options.key, () => {
      for (const wake of [...this.waiters]) wake();
      if (!this.closed) this.listener?.('written');
    });
    this.stopHearingRenewals =
      options.store.onRenewalAnnounced?.(options.key, () => {
        if (!this.closed) this.listener?.('renewalAnnounced');
      }) ?? (() => undefined);
  }

  /**
   * Tells `listener` when a token was written (by another instance or this one), and when the store answers again
   * after failing (it may have restarted empty). One listener: the engine that owns this instance.
   */
  listen(listener: (notice: StoreNotice) => void): void {
    this.listener = listener;
  }

  /** The shared token, `undefined` when there is none, `'unavailable'` when the store did not answer. */
  async read(): Promise<SharedEnkashToken | undefined | 'unavailable'> {
    const result = await this.attempt((store, key) => store.get(key), 'read');
    return result.ok ? result.value : 'unavailable';
  }

  /** Offers a token to the other instances; never throws. */
  async write(token: SharedEnkashToken): Promise<void> {
    await this.attempt((store, key) => store.set(key, token), 'write');
  }

  /**
   * Tells the other instances that this one is about to send the refresh grant, which revokes their token; never
   * throws. A store that cannot announce makes this a no-op.
   */
  async announceRenewal(): Promise<void> {
    const { store } = this.options;
    if (store.announceRenewal === undefined) return;
    await this.attempt((_store, key) => store.announceRenewal!(key), 'announce');
  }

  /** Tries to become the one instance that renews. */
  async lock(): Promise<LockOutcome> {
    const { lockTtlMs } = this;
    const result = await this.attempt(
      (store, key) => store.acquireLock(key, this.owner, lockTtlMs),
      'lock',
    );
    if (!result.ok) return 'unavailable';
    return result.value ? 'acquired' : 'held-elsewhere';
  }

  /** Gives the renewal lock back, if this instance still holds it; never throws (the TTL ends it anyway). */
  async unlock(): Promise<void> {
    await this.attempt((store, key) => store.releaseLock(key, this.owner), 'unlock');
  }

  /** Resolves when a token is written, after the lock's TTL (its holder is gone), or when closed. */
  waitForWrite(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      // Not unref'd: a renewal is waiting on it; close() wakes it.
      const timer = setTimeout(wake, this.lockTtlMs);
      this.waiters.add(wake);
    });
  }

  /** Stops listening and wakes every waiter; the store itself belongs to whoever created it. */
  close(): void {
    this.closed = true;
    this.stopListening();
    this.stopHearingRenewals();
    for (const wake of [...this.waiters]) wake();
  }

  private async attempt<T>(
    operation: (store: TokenStore, key: string) => Promise<T>,
    name: string,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    if (this.closed) return { ok: false };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${this.operationTimeoutMs} ms`)),
          this.operationTimeoutMs,
        );
      });
      const value = await Promise.race([operation(this.options.store, this.options.key), timeout]);
      this.markAvailable();
      return { ok: true, value };
    } catch (error) {
      this.markUnavailable(name, error);
      return { ok: false };
    } finally {
      clearTimeout(timer);
    }
  }

  private markAvailable(): void {
    if (this.available || this.closed) return;
    this.available = true;
    this.options.logger.log(tokenStoreAnswersAgain());
    this.listener?.('answersAgain');
  }

  private markUnavailable(operation: string, error: unknown): void {
    if (!this.available || this.closed) return;
    this.available = false;
    // Only the error's class and our own words: a store error may quote a connection URL with its password.
    this.options.logger.warn(tokenStoreUnavailable(operation, safeReason(error)));
  }
}

/** Our timeout's own words, a system error code such as ECONNREFUSED, or the error's class name. */
function safeReason(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  if (error.message.startsWith('no answer within')) return error.message;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : error.name;
}
