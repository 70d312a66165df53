import { randomBytes } from 'node:crypto';

/** A token value with its expiry time (epoch milliseconds). */
export interface StoredToken {
  /** The opaque token value. */
  readonly value: string;
  /** `Date.now()`-based instant it expires at. */
  expiresAt: number;
}

/** An access token with the refresh token it was issued with. */
export interface TokenGrantResult {
  /** The access token answered. */
  access: StoredToken;
  /** The refresh token answered. */
  refresh: StoredToken;
  /** Whether the access token was newly created (not an existing one handed out again). */
  issued: boolean;
}

/** What the store knows about an access token value presented to a protected resource. */
export type AccessTokenCheck = 'valid' | 'expired' | 'invalid';

/** What became of a refresh grant. */
export type RefreshOutcome = TokenGrantResult | 'unknown' | 'expired';

/** A new random opaque token: 20 random bytes, base64url (27 characters). */
export function newTokenValue(): string {
  return randomBytes(20).toString('base64url');
}

/** Seconds left until `token` expires, rounded down and never below 0. */
export function remainingSeconds(token: StoredToken, now: number): number {
  return Math.max(0, Math.floor((token.expiresAt - now) / 1000));
}

/**
 * Token state of the one user/client pair, after Spring's `DefaultTokenServices`
 * (with `reuseRefreshToken = true`): one access token and one refresh token at a time.
 */
export class SimulatorTokenStore {
  private access: StoredToken | undefined;
  private refresh: StoredToken | undefined;
  /** Values of access tokens that ended by expiry (so resources can say "expired"). */
  private readonly expiredValues = new Set<string>();

  /** The access token that is valid at `now`, if any. */
  currentAccess(now: number): StoredToken | undefined {
    return this.access && this.access.expiresAt > now ? this.access : undefined;
  }

  /**
   * Password grant with good credentials: the same access token while it is valid, else a new
   * one (keeping the refresh token unless it has expired).
   */
  login(now: number, accessLifetimeS: number, refreshLifetimeS: number): TokenGrantResult {
    const current = this.currentAccess(now);
    if (current && this.refresh) return { access: current, refresh: this.refresh, issued: false };
    if (!this.refresh || this.refresh.expiresAt <= now) {
      this.refresh = { value: newTokenValue(), expiresAt: now + refreshLifetimeS * 1000 };
    }
    return { access: this.issueAccess(now, accessLifetimeS), refresh: this.refresh, issued: true };
  }

  /** Refresh grant: on success the current access token is revoked and a new one issued. */
  refreshWith(value: string, now: number, accessLifetimeS: number): RefreshOutcome {
    if (!this.refresh || this.refresh.value !== value) return 'unknown';
    if (this.refresh.expiresAt <= now) return 'expired';
    this.access = undefined;
    return { access: this.issueAccess(now, accessLifetimeS), refresh: this.refresh, issued: true };
  }

  /** Checks an access token presented to a protected resource. */
  checkAccess(value: string, now: number): AccessTokenCheck {
    if (this.access && this.access.value === value) {
      return this.access.expiresAt > now ? 'valid' : 'expired';
    }
    return this.expiredValues.has(value) ? 'expired' : 'invalid';
  }

  /** Forgets the current access token (as a revocation: it becomes unknown). */
  revokeAccess(): void {
    this.access = undefined;
  }

  /** Makes the current access token expire at `now`. */
  expireAccess(now: number): void {
    if (this.access) this.access.expiresAt = Math.min(this.access.expiresAt, now);
  }

  private issueAccess(now: number, lifetimeS: number): StoredToken {
    if (this.access) this.expiredValues.add(this.access.value);
    this.access = { value: newTokenValue(), expiresAt: now + lifetimeS * 1000 };
    return this.access;
  }
}
