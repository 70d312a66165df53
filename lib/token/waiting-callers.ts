import type { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type { HeldToken } from './engine-state.js';

/**
 * How long, after a failed token request, `getAccessToken()` waits for the next one to start, when not told: see
 * `EnkashTokenWaitOptions`.
 */
export const DEFAULT_TOKEN_WAIT_MS = 5_000;

/** A caller of `getAccessToken()` waiting for a token. */
interface WaitingCaller {
  /** How long after a failed token request this caller still waits for the next one to start. */
  readonly patienceMs: number;
  settle(outcome: { token: HeldToken } | { error: unknown }): void;
}

/**
 * The callers waiting for a token while the engine holds no usable one. They take the outcome of the token request
 * under way; after a failure, those whose patience reaches the next request wait for it, the others get the failure
 * at once. Patience counts from each failure: a caller who waited through a slow request is not blamed for its
 * slowness. However many wait, each request is one request to EnKash.
 */
export class WaitingCallers {
  private readonly callers = new Set<WaitingCaller>();

  /** The patience of the most patient caller; minus infinity when none waits. */
  longestPatienceMs(): number {
    let longest = Number.NEGATIVE_INFINITY;
    for (const caller of this.callers) longest = Math.max(longest, caller.patienceMs);
    return longest;
  }

  /** A new caller, with its patience after each failure; `signal` takes it out of the queue. */
  add(patienceMs: number, signal: AbortSignal | undefined): Promise<HeldToken> {
    return new Promise<HeldToken>((resolve, reject) => {
      const abort = (): void => caller.settle({ error: signal?.reason });
      const caller: WaitingCaller = {
        patienceMs,
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
   * A request failed at `nowMs`: every caller whose patience does not reach `nextAttemptAtMs` (`null`: no request will
   * come on its own) gets `failure`; the others wait for that request.
   */
  failAll(failure: EnkashAuthError, nextAttemptAtMs: number | null, nowMs: number): void {
    for (const caller of [...this.callers]) {
      if (nextAttemptAtMs === null || nextAttemptAtMs - nowMs > caller.patienceMs) {
        caller.settle({ error: failure });
      }
    }
  }

  /** Rejects every caller with `error`: the engine is closing. */
  rejectAll(error: EnkashAuthError): void {
    for (const caller of [...this.callers]) caller.settle({ error });
  }
}
