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
  /** The registration the token belongs to: its `name`, or `'default'` for the unnamed one. */
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
  readonly type: 'acquired' | 'renewed';
  /** How the token was obtained. */
  readonly grant: EnkashTokenGrant;
  /** How long the token request took, in milliseconds, from its start (after any spacing pause) to its end. */
  readonly durationMs: number;
  /** When the new token expires. */
  readonly expiresAt: Date;
  readonly errorCode: null;
}

/** A token request failed. Each failure is reported, retried or not. */
export interface EnkashTokenFailedEvent extends EnkashTokenEventBase {
  readonly type: 'failed';
  /** The grant of the request that failed. */
  readonly grant: 'password' | 'refresh_token';
  /** How long the failed request took, in milliseconds. */
  readonly durationMs: number;
  /** When the token still held expires, if one is still valid: callers go on using it; `null` otherwise. */
  readonly expiresAt: Date | null;
  /** Why it failed: the `code` of the `EnkashAuthError` (e.g. `server_error`, `invalid_credentials`). */
  readonly errorCode: EnkashAuthErrorCode;
}

/** EnKash refused the held token (a 401 to a call), and it was dropped; a new one is requested. */
export interface EnkashTokenInvalidatedEvent extends EnkashTokenEventBase {
  readonly type: 'invalidated';
  /** How the dropped token had been obtained. */
  readonly grant: EnkashTokenGrant;
  readonly durationMs: null;
  /** When the dropped token would have expired. */
  readonly expiresAt: Date;
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
