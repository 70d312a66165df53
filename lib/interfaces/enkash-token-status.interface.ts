import type { EnkashAuthErrorCode } from '../errors/enkash-auth.error.js';

/**
 * Where the token engine stands.
 *
 * - `idle`: no token was requested yet.
 * - `acquiring`: no valid token is held and a token request is under way.
 * - `valid`: a valid token is held.
 * - `renewing`: a valid token is held and a renewal is under way.
 * - `retrying`: no valid token is held; a retry is scheduled after a transient failure.
 * - `expired`: the held token outlived its usable time before its renewal started.
 * - `locked_out`: EnKash rejected the credentials or the configuration; nothing is retried until `refresh()`.
 * - `closed`: the application is shutting down.
 */
export type EnkashTokenState =
  'idle' | 'acquiring' | 'valid' | 'renewing' | 'retrying' | 'expired' | 'locked_out' | 'closed';

/** A snapshot of the token engine for health checks and diagnostics. It never holds a token or a secret. */
export interface EnkashTokenStatus {
  /** Where the token engine stands. */
  state: EnkashTokenState;
  /** When the held token expires, or `null` when none is held. */
  expiresAt: Date | null;
  /** When the held token's renewal is scheduled, or `null` when none is. */
  nextRenewalAt: Date | null;
  /** When the next attempt after a failed token request is scheduled, or `null` when none is. */
  nextRetryAt: Date | null;
  /** When a token was last obtained (the first, a renewal, or one adopted from the shared store), or `null`. */
  lastObtainedAt: Date | null;
  /** How many tokens were obtained since start: the first, every renewal, every token adopted from the store. */
  tokensObtained: number;
  /** Token requests that failed in a row since the last success. */
  consecutiveFailures: number;
  /** Code of the last failure, or `null` when the last token request succeeded. */
  lastErrorCode: EnkashAuthErrorCode | null;
}
