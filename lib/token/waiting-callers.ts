import type { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type { HeldToken } from './engine-state.js';

/** How long `getAccessToken()` waits for a token request to start, when not told: see `EnkashTokenWaitOptions`. */
export const DEFAULT_TOKEN_WAIT_MS = 5_000;

/** A caller of `getAccessToken()` waiting for a token. */
interface WaitingCaller {
  /** The latest a token request may start for this caller to wait for it (monotonic). */
  readonly waitUntilMs: number;
  settle(outcome: { token: HeldToken } | { error: unknown }): void;
}

/**
 * The callers waiting for a token while the engine holds no usable one. They take the outcome of the token request
 * under way; after a failure, only those who would wait until the next request starts keep waiting, the others get
 * the failure at once. However many wait, each request is one request to EnKash.
 */
export class WaitingCallers {
  private readonly callers = new Set<WaitingCaller>();

  /** Until when the most patient caller waits for a request to start; minus infinity when none waits. */
  latestWaitUntilMs(): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (const caller of this.callers) latest = Math.max(latest, caller.waitUntilMs);
    return latest;
  }

  /** A new caller, who waits for a request that starts by `waitUntilMs`; `signal` takes it out of the queue. */
  add(waitUntilMs: number, signal: AbortSignal | undefined): Promise<HeldToken> {
    return new Promise<HeldToken>((resolve, reject) => {
      const abort = (): void => caller.settle({ error: signal?.reason });
      const caller: WaitingCaller = {
        waitUntilMs,
        settle: (outcome) => {
          this.callers.delete(caller);
          signal?.removeEventListener('abort', abort);
          if ('token' in outcome) resolve(outcome.token);
          else reject(outcome.error);
        },
      };
      this.callers.add(caller);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** Hands `token` to every caller. */
  resolveAll(token: HeldToken): void {
    for (const caller of [...this.callers]) caller.settle({ token });
  }

  /**
   * A request failed: every caller who will not wait until `nextAttemptAtMs` (`null`: no request will come on its
   * own) gets `failure`; the others wait for that request.
   */
  failAll(failure: EnkashAuthError, nextAttemptAtMs: number | null): void {
    for (const caller of [...this.callers]) {
      if (nextAttemptAtMs === null || nextAttemptAtMs > caller.waitUntilMs) {
        caller.settle({ error: failure });
      }
    }
  }

  /** Rejects every caller with `error`: the engine is closing. */
  rejectAll(error: EnkashAuthError): void {
    for (const caller of [...this.callers]) caller.settle({ error });
  }
}
