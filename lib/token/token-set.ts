/** A token answer from EnKash, normalised. Internal: never exported from the package. */
export interface TokenSet {
  readonly accessToken: string;
  /** Absent when EnKash's answer carried none: the previous refresh token is then kept. */
  readonly refreshToken?: string;
  /** Lifetime announced by EnKash (`expires_in`), in milliseconds, after sanity limits. */
  readonly lifetimeMs: number;
  /** Whether `expires_in` was missing, so that a lifetime was assumed. */
  readonly lifetimeAssumed: boolean;
  /** Set when `expires_in` announced more than the sanity limit, so that `lifetimeMs` is the limit instead. */
  readonly lifetimeCapped?: true;
  readonly scope?: string;
}
