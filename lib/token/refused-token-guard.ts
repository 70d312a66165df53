import { BACKOFF_MAX_MS, ON_DEMAND_MIN_INTERVAL_MS } from './renewal-policy.js';

/**
 * Remembers the last token EnKash refused. When the token endpoint hands that very token back, the 401s are not
 * about the token (a wrong API host, a missing product header): further refusals of it are passed on to callers for
 * a pause that doubles with each round, up to a minute, instead of turning every failing call into a token request.
 */
export class RefusedTokenGuard {
  private refusedToken: string | undefined;
  private streak = 0;
  private passOnUntilMs = Number.NEGATIVE_INFINITY;

  /** Records a refusal; `false` when it should be passed on to the caller rather than acted upon. */
  acceptRefusal(token: string, nowMs: number): boolean {
    if (token === this.refusedToken) {
      if (nowMs < this.passOnUntilMs) return false;
      this.streak += 1;
    } else {
      this.refusedToken = token;
      this.streak = 1;
    }
    return true;
  }

  /** Called with each token obtained; the pause started, when it is the token that was just refused. */
  handedBack(token: string, nowMs: number): number | undefined {
    if (token !== this.refusedToken) return undefined;
    const pauseMs = Math.min(BACKOFF_MAX_MS, ON_DEMAND_MIN_INTERVAL_MS * 2 ** (this.streak - 1));
    this.passOnUntilMs = nowMs + pauseMs;
    return pauseMs;
  }
}
