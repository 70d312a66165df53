import type { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type { TokenEngineEvent } from '../events/enkash-token-event.interface.js';
import type { SharedEnkashToken } from '../store/token-store.interface.js';
import type { AccountMemory, EngineState, HeldToken, PasswordRefusal } from './engine-state.js';
import type { GrantType, TokenSource } from './grant.js';
import type { TokenSet } from './token-set.js';

// The vocabulary of engine-transition.ts: what happens to the engine (events), what it does about it (effects).

/** A token ready to be adopted, wherever it came from. */
export interface ObtainedToken {
  readonly tokenSet: TokenSet;
  readonly source: TokenSource;
  /** Monotonic time the token's lifetime counts from: when its request left, or when the store was read. */
  readonly sentAtMs: number;
}

/** What a token request learned of the account on its way, whether it ended with a token or not. */
export interface AttemptFindings {
  readonly refreshToken: string | undefined;
  readonly passwordRefusal: PasswordRefusal | null;
  /** When its last request left for the token endpoint; `undefined` when it sent none (the store answered). */
  readonly lastRequestAtMs: number | undefined;
}

/** Something that happened to the engine. */
export type EngineEvent =
  /** The application booted: fetch the first token in the background. */
  | { readonly kind: 'startAsked' }
  /**
   * A caller needs a token and the engine holds no usable one. It waits for a token request that starts by
   * `waitUntilMs` (monotonic time); after a failure, one due later is no use to it.
   */
  | { readonly kind: 'tokenAsked'; readonly waitUntilMs: number }
  /** `refresh()`: renew now, or try again after a lock-out. */
  | { readonly kind: 'refreshAsked' }
  /** The renewal or retry timer fired. */
  | { readonly kind: 'timerFired' }
  /** The token request under way ended with a token. */
  | {
      readonly kind: 'tokenObtained';
      readonly obtained: ObtainedToken;
      readonly durationMs: number;
      readonly findings: AttemptFindings;
    }
  /** The token request under way failed. */
  | {
      readonly kind: 'attemptFailed';
      readonly failure: EnkashAuthError;
      readonly grant: GrantType;
      readonly durationMs: number;
      readonly findings: AttemptFindings;
    }
  /** Another instance wrote a newer token to the shared store while no request was under way. */
  | {
      readonly kind: 'storeTokenFound';
      readonly obtained: ObtainedToken;
      readonly durationMs: number;
    }
  /** EnKash refused this token on an API call (a 401). */
  | { readonly kind: 'tokenRefused'; readonly accessToken: string }
  /** The shared store answers again after failing: it may have restarted empty. */
  | { readonly kind: 'storeAnswersAgain' }
  /** Another replica is about to send the refresh grant, which revokes the token this one holds. */
  | { readonly kind: 'renewalAnnounced' }
  /** The application is shutting down. */
  | { readonly kind: 'closeAsked' };

/** Something the engine must do; the engine runs effects in order. */
export type Effect =
  | { readonly kind: 'startAttempt'; readonly grant: GrantType; readonly delayMs: number }
  | { readonly kind: 'armTimer'; readonly delayMs: number }
  | { readonly kind: 'cancelTimer' }
  /**
   * Hand a token to every caller waiting for one; or, after a failure, reject those who will not wait until the
   * next token request (`nextAttemptInMs` from now; `null` when none will come on its own).
   */
  | {
      readonly kind: 'settleCallers';
      readonly outcome:
        | { readonly token: HeldToken }
        | { readonly failure: EnkashAuthError; readonly nextAttemptInMs: number | null };
    }
  | { readonly kind: 'log'; readonly level: 'log' | 'warn' | 'error'; readonly message: string }
  | { readonly kind: 'report'; readonly event: TokenEngineEvent }
  | { readonly kind: 'shareToken'; readonly token: SharedEnkashToken }
  /** Abort the request under way, stop listening to the store, reject every waiting caller. */
  | { readonly kind: 'shutDown' };

/** What a transition reads besides the state and the memory: the clocks, the settings, the random draws. */
export interface TransitionContext {
  /** Monotonic clock, in milliseconds. */
  readonly nowMs: number;
  /** Wall clock, in milliseconds since the epoch: for the dates the engine publishes. */
  readonly epochMs: number;
  readonly refreshBeforeExpirySeconds: number;
  /** The backoff jitter drawn for this event, in [0, 1]. */
  readonly backoffJitter: number;
  /** The renewal jitter drawn for this event, in [0, 1]. */
  readonly renewalJitter: number;
  /**
   * Until when, at the latest, a caller waits for a token request to start (monotonic); minus infinity when no
   * caller waits. A retry may come as soon as the on-demand spacing allows for a caller who would wait for it.
   */
  readonly callersWaitUntilMs: number;
}

/** Where a transition leads, and what the engine must do to get there. */
export interface Transition {
  readonly state: EngineState;
  readonly memory: AccountMemory;
  readonly effects: readonly Effect[];
}
