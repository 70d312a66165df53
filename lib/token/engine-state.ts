import type { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type { SharedEnkashToken } from '../store/token-store.interface.js';
import type { EnkashTokenState } from '../interfaces/enkash-token-status.interface.js';
import type { GrantType, TokenSource } from './grant.js';

// The token engine's state as values: what the engine holds is one EngineState and one AccountMemory, nothing else.
// The transitions between them are in engine-transition.ts.

/** The token the engine holds and hands to callers while it is usable. */
export interface HeldToken {
  readonly accessToken: string;
  /** Monotonic time after which the token is no longer handed out: a call could reach EnKash after it expired. */
  readonly usableUntilMs: number;
  /** When EnKash says it expires, on the wall clock. */
  readonly expiresAt: Date;
  readonly source: TokenSource;
}

/** A token request under way; its callers and its network side live in the engine that started it. */
export interface Attempt {
  /** The grant it starts with: the attempt may end with the other one (see token-acquisition.ts). */
  readonly grant: GrantType;
}

/** Failed token requests in a row, since the last token obtained. */
export interface FailureStreak {
  readonly failures: number;
  readonly lastError: EnkashAuthError;
  readonly lastFailedAtMs: number;
  /** Until when the server asked us to wait (`Retry-After`); minus infinity when it never did in this streak. */
  readonly retryAfterUntilMs: number;
}

/**
 * Where the engine stands. Each variant holds exactly the data that exists in it; `token` may have outlived its
 * usable time (the published state then says so, see {@link publishedState}).
 */
export type EngineState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'acquiring'; readonly attempt: Attempt; readonly streak: FailureStreak | null }
  | {
      readonly kind: 'valid';
      readonly token: HeldToken;
      readonly renewAtMs: number;
      /**
       * Until when (monotonic) new calls wait for the token another replica announced it is renewing: its refresh
       * grant revokes this one. Absent when no replica announced one.
       */
      readonly heldBackUntilMs?: number;
    }
  | {
      readonly kind: 'renewing';
      readonly token: HeldToken;
      readonly attempt: Attempt;
      readonly streak: FailureStreak | null;
    }
  | {
      readonly kind: 'retrying';
      readonly token: HeldToken | null;
      readonly streak: FailureStreak;
      readonly retryAtMs: number;
    }
  | { readonly kind: 'lockedOut'; readonly token: HeldToken | null; readonly streak: FailureStreak }
  | { readonly kind: 'closed' };

/** The last token EnKash refused, and how its refusals are passed on once the token endpoint hands it back. */
export interface RefusedToken {
  readonly accessToken: string;
  /** Refusals of this same token in a row, each after the token endpoint handed it back. */
  readonly rounds: number;
  /** Until when further refusals of it are passed on to callers rather than acted upon. */
  readonly passOnUntilMs: number;
}

/** EnKash refused the password when the engine checked for a newer token before a refresh grant. */
export interface PasswordRefusal {
  readonly error: EnkashAuthError;
  /**
   * Whether password grants are still held back: each would be one more failed login towards EnKash's lock-out.
   * `refresh()` releases them; the check itself stays given up.
   */
  readonly blocksPasswordGrant: boolean;
}

/** What the engine knows of the account across states. */
export interface AccountMemory {
  /** The refresh token to renew with; EnKash often answers a refresh grant without a new one. */
  readonly refreshToken: string | undefined;
  /**
   * The next request uses the password grant: EnKash refused our token (the password grant fetches the server's
   * current one without revoking it), or a refresh grant failed while no valid token was held. The refresh grant is
   * used again once a token is obtained.
   */
  readonly passwordGrantNext: boolean;
  readonly refused: RefusedToken | null;
  readonly passwordRefusal: PasswordRefusal | null;
  /**
   * How many more renewals check EnKash's current token before the refresh grant (`serverTokenCheck: auto`): EnKash
   * refused a token of ours before it expired, so another replica may be renewing it. 0 once renewals went by
   * without a refusal.
   */
  readonly suspectedRenewalsLeft: number;
  /** When the last request left for the token endpoint, on the monotonic clock. */
  readonly lastRequestAtMs: number;
  /** Every token obtained: the first, renewals, and tokens adopted from the shared store. */
  readonly tokensObtained: number;
  readonly lastObtainedAt: Date | null;
}

/** The memory of an engine that has not sent anything yet. */
export const FRESH_MEMORY: AccountMemory = {
  refreshToken: undefined,
  passwordGrantNext: false,
  refused: null,
  passwordRefusal: null,
  suspectedRenewalsLeft: 0,
  lastRequestAtMs: Number.NEGATIVE_INFINITY,
  tokensObtained: 0,
  lastObtainedAt: null,
};

/** A token as the shared store holds it: the refresh token only when there is one. */
export function sharedToken(
  accessToken: string,
  expiresAt: number,
  refreshToken: string | undefined,
): SharedEnkashToken {
  return refreshToken === undefined
    ? { accessToken, expiresAt }
    : { accessToken, expiresAt, refreshToken };
}

/** The token the state holds, usable or not. */
export function heldToken(state: EngineState): HeldToken | null {
  return 'token' in state ? state.token : null;
}

/** The held token when it may still be handed out at `nowMs`. */
export function usableToken(state: EngineState, nowMs: number): HeldToken | null {
  const token = heldToken(state);
  return token !== null && nowMs < token.usableUntilMs ? token : null;
}

/** The failure streak the state carries, if any. */
export function streakOf(state: EngineState): FailureStreak | null {
  return 'streak' in state ? state.streak : null;
}

/**
 * The state as `getStatus()` publishes it. The clock adds the one thing a state value cannot know by itself: whether
 * its token has outlived its usable time.
 */
export function publishedState(state: EngineState, nowMs: number): EnkashTokenState {
  const usable = usableToken(state, nowMs) !== null;
  switch (state.kind) {
    case 'idle':
    case 'acquiring':
    case 'closed':
      return state.kind;
    case 'valid':
      return usable ? 'valid' : 'expired';
    case 'renewing':
      return usable ? 'renewing' : 'acquiring';
    case 'retrying':
      return usable ? 'valid' : 'retrying';
    case 'lockedOut':
      return 'locked_out';
  }
}
