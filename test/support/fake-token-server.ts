// EnKash's token server in fake time, for the unit specs of several replicas of one account
// (lib/token/replica-coordination.*.spec.ts).
import type { EnkashAuthError } from '../../lib/errors/enkash-auth.error.js';
import type { TokenGrantClient } from '../../lib/token/token-engine.js';
import type { TokenSet } from '../../lib/token/token-set.js';
import { renewalDelayMs } from '../../lib/token/renewal-policy.js';

/** The lifetime of every token the server issues, in seconds. */
export const LIFETIME_S = 3_600;
// Renewal margin: 300 s; with the jitter, renewals fall between 300 and 450 s before expiry.
/** The earliest a replica renews a token, in seconds into its life. */
export const EARLIEST_RENEWAL_S = renewalDelayMs(LIFETIME_S * 1000, 300, () => 1) / 1000;
/** The latest a replica renews a token, in seconds into its life. */
export const LATEST_RENEWAL_S = renewalDelayMs(LIFETIME_S * 1000, 300, () => 0) / 1000;

/**
 * EnKash's token server as Spring's DefaultTokenServices behaves, in fake time: a password grant hands back the
 * current token while it is valid; a refresh grant revokes it at once and issues a new one.
 */
export class TokenServer {
  readonly calls: Array<{ replica: string; grant: 'password' | 'refresh_token'; at: number }> = [];
  /** Errors the next password grants throw, in order. */
  readonly passwordFailures: EnkashAuthError[] = [];
  /** How long (fake time) each answer takes; the grant takes effect at once, as EnKash revokes before it answers. */
  latencyMs = 0;
  private current: { value: string; expiresAt: number } | undefined;
  private issued = 0;

  clientFor(replica: string): TokenGrantClient {
    return {
      requestPasswordGrant: () => {
        this.calls.push({ replica, grant: 'password', at: Date.now() });
        const failure = this.passwordFailures.shift();
        if (failure !== undefined) return Promise.reject(failure);
        if (this.current === undefined || this.current.expiresAt <= Date.now()) this.issue();
        return this.later(this.answer());
      },
      requestRefreshGrant: () => {
        this.calls.push({ replica, grant: 'refresh_token', at: Date.now() });
        this.issue();
        return this.later(this.answer());
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

  private later(answer: TokenSet): Promise<TokenSet> {
    if (this.latencyMs <= 0) return Promise.resolve(answer);
    return new Promise((resolve) => setTimeout(() => resolve(answer), this.latencyMs));
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
