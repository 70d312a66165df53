/**
 * A token shared between the instances of an application through a {@link TokenStore}. It never holds the client
 * secret or the password.
 */
export interface SharedEnkashToken {
  /** The access token. */
  readonly accessToken: string;
  /** The refresh token it came with, so that whichever instance renews next can use it. */
  readonly refreshToken?: string;
  /** When the access token expires, in epoch milliseconds on this instance's clock (`Date.now()`). */
  readonly expiresAt: number;
}

/**
 * Where the instances of an application share their EnKash token and coordinate its renewal: EnKash's refresh grant
 * revokes the previous access token at once, so only one instance may renew, and the others must adopt its token.
 *
 * Keys are opaque strings chosen by the library (a hash of what identifies the EnKash account), one per EnKash
 * account whatever the registrations that log in to it are named. Every method may reject or never answer: the
 * library bounds each call with a short timeout and carries on without the store.
 *
 * Implementations: {@link RedisTokenStore} across processes, {@link InMemoryTokenStore} within one process.
 */
export interface TokenStore {
  /** The token held under `key`, or `undefined` when there is none or it has expired. */
  get(key: string): Promise<SharedEnkashToken | undefined>;

  /**
   * Holds `token` under `key` until it expires, unless the store already holds one that lives longer: a late writer
   * with an older token must not replace a newer one. Tells every {@link onTokenWritten} listener of `key` when it
   * writes. Resolves to whether it wrote.
   */
  set(key: string, token: SharedEnkashToken): Promise<boolean>;

  /**
   * Takes the renewal lock of `key` for `owner` for `ttlMs` milliseconds, unless someone else holds it.
   * Resolves to whether `owner` now holds it.
   */
  acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean>;

  /** Releases the renewal lock of `key` only if `owner` still holds it (it may have expired and passed on). */
  releaseLock(key: string, owner: string): Promise<void>;

  /**
   * Calls `listener` after any instance wrote a token under `key`, for as long as the store lives; keeps listening
   * across reconnections. Returns the function that stops listening. A store may also call it when the lock of `key`
   * is released, so that instances waiting for the holder's token look again at once: a call may find nothing new.
   */
  onTokenWritten(key: string, listener: () => void): () => void;

  /**
   * Optional: tells every {@link onRenewalAnnounced} listener of `key` that an instance is about to send the refresh
   * grant, which revokes the token the others hold, so that they hold their new calls until its token is written (a
   * second at most) instead of sending them with a token about to be refused. Without it, those calls meet a 401 and
   * are sent again.
   */
  announceRenewal?(key: string): Promise<void>;

  /**
   * Optional, with {@link announceRenewal}: calls `listener` after any instance (this one too) announced a renewal of
   * `key`. Returns the function that stops listening.
   */
  onRenewalAnnounced?(key: string, listener: () => void): () => void;
}
