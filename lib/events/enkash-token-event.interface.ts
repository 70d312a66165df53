import type { EnkashAuthErrorCode } from '../errors/enkash-auth.error.js';

/** What happened to a registration's token; see {@link EnkashTokenEvent}. */
export type EnkashTokenEventType = 'acquired' | 'renewed' | 'failed' | 'invalidated';

/**
 * Where a token came from: EnKash's password grant, its refresh grant, or the shared token store (another instance
 * obtained it).
 */
export type EnkashTokenGrant = 'password' | 'refresh_token' | 'store';

/** What every token event carries. */
interface EnkashTokenEventBase {
  /**
   * The name of the registration the token belongs to: the `name` given to `forRoot`/`forRootAsync`, or `'default'`
   * for the unnamed one.
   */
  readonly registration: string;
  /** When the event happened. */
  readonly at: Date;
}

/**
 * A token was obtained. `acquired`: no valid token was held (the first token, or one after expiry, after EnKash
 * refused the held one, after a lock-out). `renewed`: it replaced a token that was still valid (the scheduled
 * renewal, `refresh()`, or a newer token adopted from the shared store).
 */
export interface EnkashTokenObtainedEvent extends EnkashTokenEventBase {
  /** `acquired` when no valid token was held, `renewed` when a valid one was replaced. */
  readonly type: 'acquired' | 'renewed';
  /** How the token was obtained. */
  readonly grant: EnkashTokenGrant;
  /**
   * How long obtaining it took, in milliseconds, from the start of the attempt (after any spacing pause) to its end:
   * the grants sent to EnKash and, with a shared store, the wait for the renewal lock or another replica's token.
   */
  readonly durationMs: number;
  /** When the new token expires. */
  readonly expiresAt: Date;
  /** Always `null`: nothing failed. */
  readonly errorCode: null;
}

/**
 * An attempt to obtain a token failed: each failed attempt is reported, retried or not. A refresh grant EnKash
 * refuses, followed by the password grant it falls back to, is one attempt, reported by how the fallback ends.
 */
export interface EnkashTokenFailedEvent extends EnkashTokenEventBase {
  /** Always `failed`. */
  readonly type: 'failed';
  /** The grant of the request that failed. */
  readonly grant: 'password' | 'refresh_token';
  /** How long the failed attempt took, in milliseconds (see {@link EnkashTokenObtainedEvent.durationMs}). */
  readonly durationMs: number;
  /** When the token still held expires, if one is still valid: callers go on using it; `null` otherwise. */
  readonly expiresAt: Date | null;
  /** Why it failed: the `code` of the `EnkashAuthError` (e.g. `server_error`, `invalid_credentials`). */
  readonly errorCode: EnkashAuthErrorCode;
}

/** EnKash refused the held token (a 401 to a call), and it was dropped; a new one is requested. */
export interface EnkashTokenInvalidatedEvent extends EnkashTokenEventBase {
  /** Always `invalidated`. */
  readonly type: 'invalidated';
  /** How the dropped token had been obtained. */
  readonly grant: EnkashTokenGrant;
  /** Always `null`: no token was requested. */
  readonly durationMs: null;
  /** When the dropped token would have expired. */
  readonly expiresAt: Date;
  /** Always `null`: EnKash's 401 is not a failed token request. */
  readonly errorCode: null;
}

/**
 * What `EnkashAuthService.events$` emits (and, with `@nestjs/event-emitter`, what is emitted under
 * the names of `ENKASH_TOKEN_EVENTS`): one event per token obtained, failed token request and refused token. Switch on
 * `type` to narrow it. It never carries a token, a refresh token or a credential.
 */
export type EnkashTokenEvent =
  EnkashTokenObtainedEvent | EnkashTokenFailedEvent | EnkashTokenInvalidatedEvent;

/** Each kind of event without its registration; distributes over the union, which a plain `Omit` would collapse. */
type WithoutRegistration<Event> = Event extends EnkashTokenEvent
  ? Omit<Event, 'registration'>
  : never;

/** @internal What the token engine reports; the service adds the registration it belongs to. */
export type TokenEngineEvent = WithoutRegistration<EnkashTokenEvent>;
