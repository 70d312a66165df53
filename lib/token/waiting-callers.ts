import type { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type { HeldToken } from './engine-state.js';

/** How long, in all, `getAccessToken()` waits for token requests to start, when not told: see `EnkashTokenWaitOptions`. */
export const DEFAULT_TOKEN_WAIT_MS = 5_000;

/** A caller of `getAccessToken()` waiting for a token. */
interface WaitingCaller {
  /**
   * What is left of its patience: how much longer it will wait, in all, for token requests to start. Time spent in a
   * request under way is not counted: a caller is not blamed for a slow request.
   */
  patienceLeftMs: number;
  settle(outcome: { token: HeldToken } | { error: unknown }): void;
}

/**
 * The callers waiting for a token while the engine holds no usable one. They take the outcome of the token request
 * under way; after a failure, those whose patience reaches the next request wait for it (and spend that wait of their
 * patience), the others get the failure at once. However many wait, each request is one request to EnKash.
 */
export class WaitingCallers {
  private readonly callers = new Set<WaitingCaller>();

  /** What is left of the most patient caller's patience; minus infinity when none waits. */
  longestPatienceLeftMs(): number {
    let longest = Number.NEGATIVE_INFINITY;
    for (const caller of this.callers) longest = Math.max(longest, caller.patienceLeftMs);
    return longest;
  }

  /** A new caller with `patienceLeftMs` of patience; `signal` takes it out of the queue. */
  add(patienceLeftMs: number, signal: AbortSignal | undefined): Promise<HeldToken> {
    return new Promise<HeldToken>((resolve, reject) => {
      const abort = (): void => caller.settle({ error: signal?.reason });
      const caller: WaitingCaller = {
        patienceLeftMs,
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
   * A request failed: every caller whose patience does not reach the next request, `nextAttemptInMs` from now
   * (`null`: none will come on its own), gets `failure`; the others wait for that request.
   */
  failAll(failure: EnkashAuthError, nextAttemptInMs: number | null): void {
    const waitMs = nextAttemptInMs ?? Number.POSITIVE_INFINITY;
    for (const caller of [...this.callers]) {
      if (waitMs > caller.patienceLeftMs) caller.settle({ error: failure });
      else caller.patienceLeftMs -= Math.max(0, waitMs);
    }
  }

  /** Rejects every caller with `error`: the engine is closing. */
  rejectAll(error: EnkashAuthError): void {
    for (const caller of [...this.callers]) caller.settle({ error });
  }
}
