import type { LoggerService } from '@nestjs/common';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type { GrantType, TokenSource } from '../enkash-auth.messages.js';
import {
  lifetimeAssumed,
  lifetimeCapped,
  lockedOut,
  malformedAnswer,
  refreshRejectedFallingBack,
  retryScheduled,
  serverTokenCheckRefused,
  serviceClosed,
  tokenObtained,
  refusedTokenHandedBack,
  tokenRefused,
} from '../enkash-auth.messages.js';
import type { TokenEngineEvent } from '../events/enkash-token-event.interface.js';
import type { ResolvedEnkashAuthOptions } from '../interfaces/enkash-auth-options.interface.js';
import type {
  EnkashTokenState,
  EnkashTokenStatus,
} from '../interfaces/enkash-token-status.interface.js';
import {
  backoffDelayMs,
  expiryGuardMs,
  ON_DEMAND_MIN_INTERVAL_MS,
  onDemandIntervalMs,
  renewalDelayMs,
} from './renewal-policy.js';
import { RefusedTokenGuard } from './refused-token-guard.js';
import { TokenEventReporter } from './token-event-reporter.js';
import type { RenewalTimer } from './renewal-timer.js';
import type { TokenHttpClient } from './token-http-client.js';
import type { TokenSet } from './token-set.js';
import { TokenSharing } from './token-sharing.js';
import type { SharedEnkashToken, TokenStore } from '../store/token-store.interface.js';

/** What the token manager needs from the wire: the two grants, and a way to abort them. */
export type TokenGrantClient = Pick<
  TokenHttpClient,
  'requestPasswordGrant' | 'requestRefreshGrant' | 'close'
>;

/** Everything the token manager depends on, injectable so that its timing can be tested with fake timers. */
export interface TokenManagerDependencies {
  options: ResolvedEnkashAuthOptions;
  client: TokenGrantClient;
  timer: RenewalTimer;
  logger: Pick<LoggerService, 'log' | 'warn' | 'error'>;
  /** The store shared with the other instances, and this account's key in it; absent for a lone instance. */
  sharedStore?: { store: TokenStore; key: string; operationTimeoutMs?: number };
  /** Monotonic clock in milliseconds. */
  now?: () => number;
  /** Draws the backoff jitter, in [0, 1]. */
  random?: () => number;
  /** Draws the renewal jitter, in [0, 1]. */
  renewalJitter?: () => number;
  /** Told of each token obtained, failed token request and refused token; an exception it throws is only logged. */
  onEvent?: (event: TokenEngineEvent) => void;
}

/** A token ready to be adopted, wherever it came from. */
interface ObtainedToken {
  readonly tokenSet: TokenSet;
  readonly source: TokenSource;
  /** Monotonic time the token's lifetime counts from. */
  readonly sentAtMs: number;
}

interface HeldToken {
  readonly accessToken: string;
  /** Monotonic time after which the token is no longer handed out. */
  readonly usableUntilMs: number;
  readonly expiresAt: Date;
  readonly refreshToken: string | undefined;
  readonly source: TokenSource;
}

/** How long a caller waits for a renewal under way before it takes the held token after all. */
const RENEWAL_WAIT_LIMIT_MS = 1_000;

/** A token answer with less life than this is about to expire on the server: it is renewed at once. */
const MIN_USEFUL_LIFETIME_MS = 1_000;

/**
 * How often an instance waits for the holder of the renewal lock to write its token before renewing on its own:
 * a holder that crashed leaves a lock that only its TTL ends.
 */
const LOCK_WAIT_ROUNDS = 2;

/**
 * The token engine: caches the access token, shares one token request among concurrent callers, renews before
 * expiry with the refresh grant, backs off on transient failures and stops after bad credentials.
 * Framework-free; {@link EnkashAuthService} wires it into Nest's lifecycle.
 */
export class TokenManager {
  private held: HeldToken | null = null;
  private refreshToken: string | undefined;
  /** After EnKash refused our token, the password grant fetches the server's current one without revoking it. */
  private preferPasswordGrant = false;
  private inFlight: Promise<HeldToken> | null = null;
  private lockout: EnkashAuthError | null = null;
  private lastError: EnkashAuthError | null = null;
  private lastFailureAtMs = Number.NEGATIVE_INFINITY;
  private retryAfterUntilMs = Number.NEGATIVE_INFINITY;
  private consecutiveFailures = 0;
  private renewals = 0;
  private lastRenewalAt: Date | null = null;
  private lastRequestStartedAtMs = Number.NEGATIVE_INFINITY;
  /** A refresh grant is under way: EnKash may already have revoked the held token. */
  private refreshGrantPending = false;
  private readonly refusals = new RefusedTokenGuard();
  /** The last token EnKash refused: never adopted from the store again. */
  private lastRefusedToken: string | undefined;
  /** The password was refused when checking for a newer token: the check is given up, the refresh grant goes on. */
  private serverCheckRefused = false;
  /** EnKash refused a token of ours before it expired: another replica may be renewing it (`serverTokenCheck: auto`). */
  private replicaSuspected = false;
  /**
   * The password the check was refused: no other password grant is sent on our own (a 401, a refused refresh token),
   * since each would be one more failed login towards EnKash's lock-out; they fail with this error instead.
   */
  private passwordRefused: EnkashAuthError | null = null;
  private readonly sharing: TokenSharing | undefined;
  private adoptingShared = false;
  private pendingPause: {
    handle: NodeJS.Timeout;
    cancel: (error: EnkashAuthError) => void;
  } | null = null;
  private closed = false;
  private readonly now: () => number;
  private readonly random: () => number;

  private readonly renewalJitter: () => number;
  private readonly events: TokenEventReporter;

  constructor(private readonly deps: TokenManagerDependencies) {
    this.now = deps.now ?? (() => performance.now());
    this.random = deps.random ?? Math.random;
    this.renewalJitter = deps.renewalJitter ?? Math.random;
    this.events = new TokenEventReporter(deps.onEvent, deps.logger);
    this.sharing =
      deps.sharedStore === undefined
        ? undefined
        : new TokenSharing(
            {
              ...deps.sharedStore,
              tokenRequestTimeoutMs: deps.options.tokenRequestTimeoutMs,
              logger: deps.logger,
            },
            () => this.onSharedTokenWritten(),
            () => this.offerHeldToken(),
          );
  }

  /** The held token if it is still valid; never contacts EnKash. */
  currentToken(): string | undefined {
    const held = this.held;
    return held !== null && this.now() < held.usableUntilMs ? held.accessToken : undefined;
  }

  /**
   * The held token if it is valid and not being replaced right now; never waits. While a refresh grant is under way
   * EnKash may already have revoked the held token, so hot paths go through {@link getAccessToken} then.
   */
  readyToken(): string | undefined {
    return this.refreshGrantPending ? undefined : this.currentToken();
  }

  /** The valid token, from the cache or from a token request shared with every concurrent caller. */
  getAccessToken(): Promise<string> {
    if (this.closed) return Promise.reject(this.closedError());
    const token = this.currentToken();
    if (token === undefined) return this.obtain().then((held) => held.accessToken);
    if (!this.refreshGrantPending || this.inFlight === null) return Promise.resolve(token);
    return this.awaitRenewal(this.inFlight);
  }

  /**
   * EnKash revokes the held token as soon as it processes the refresh grant, so callers during a renewal wait for
   * the new token, but never long: a slow token endpoint must not stall calls while the held token may still work.
   */
  private awaitRenewal(renewal: Promise<HeldToken>): Promise<string> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fallBack = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(limit);
        if (this.closed) return reject(this.closedError());
        const token = this.currentToken();
        if (token !== undefined) resolve(token);
        else this.obtain().then((held) => resolve(held.accessToken), reject);
      };
      // Not unref'd: a caller is waiting on it.
      const limit = setTimeout(fallBack, RENEWAL_WAIT_LIMIT_MS);
      renewal.then((held) => {
        if (settled) return;
        settled = true;
        clearTimeout(limit);
        resolve(held.accessToken);
      }, fallBack);
    });
  }

  /** Fetches the first token in the background; a failure is logged and retried, never thrown. */
  start(): void {
    if (!this.closed && this.inFlight === null && this.held === null && this.lockout === null) {
      void this.startRequest('password');
    }
  }

  /** Renews now, or joins the token request under way. Clears a lock-out: the explicit way to try again. */
  async refresh(): Promise<void> {
    if (this.closed) throw this.closedError();
    if (this.inFlight !== null) {
      await this.inFlight;
      return;
    }
    const wasLockedOut = this.lockout !== null;
    this.lockout = null;
    this.passwordRefused = null;
    await this.startRequest(wasLockedOut ? 'password' : this.renewalGrant());
  }

  /** EnKash refused `token`: drop it if it is still the held one and fetch the server's current token. */
  invalidate(token: string): void {
    if (this.closed || this.held === null || this.held.accessToken !== token) return;
    const now = this.now();
    // The token endpoint handed this very token back after it was refused: callers see EnKash's answer for a while.
    if (!this.refusals.acceptRefusal(token, now)) return;
    const refused = this.held;
    this.lastRefusedToken = token;
    this.replicaSuspected = true;
    this.held = null;
    this.preferPasswordGrant = true;
    this.deps.logger.warn(tokenRefused());
    if (this.inFlight === null && this.lockout === null) this.reacquireAfterRefusal(now);
    // Reported once the re-acquisition is under way: a listener that asks for a token joins it, spacing kept.
    this.events.invalidated(refused.source, refused.expiresAt);
  }

  private reacquireAfterRefusal(now: number): void {
    // A server that refuses every token it hands out must not turn each failing call into a token request, and a
    // failing token endpoint keeps its spacing and its Retry-After.
    const notBeforeMs = Math.max(
      this.lastRequestStartedAtMs + ON_DEMAND_MIN_INTERVAL_MS,
      this.failureSpacingEndsAtMs(),
    );
    void this.startRequest('password', Math.max(0, notBeforeMs - now));
  }

  /** Stops every timer and aborts the token request under way; later calls reject. */
  close(): void {
    this.closed = true;
    this.deps.timer.cancel();
    this.sharing?.close();
    if (this.pendingPause !== null) {
      clearTimeout(this.pendingPause.handle);
      this.pendingPause.cancel(this.closedError());
      this.pendingPause = null;
    }
    this.deps.client.close();
  }

  /** A snapshot for health checks; never holds a token. */
  getStatus(): EnkashTokenStatus {
    return {
      state: this.state(),
      expiresAt: this.held?.expiresAt ?? null,
      nextRenewalAt: this.deps.timer.dueAt,
      lastRenewalAt: this.lastRenewalAt,
      renewals: this.renewals,
      consecutiveFailures: this.consecutiveFailures,
      lastErrorCode: this.lastError?.code ?? null,
    };
  }

  private state(): EnkashTokenState {
    if (this.closed) return 'closed';
    if (this.lockout !== null) return 'locked_out';
    const valid = this.currentToken() !== undefined;
    if (this.inFlight !== null) return valid ? 'renewing' : 'acquiring';
    if (valid) return 'valid';
    if (this.lastError !== null && this.deps.timer.dueAt !== null) return 'retrying';
    return this.renewals > 0 || this.lastError !== null ? 'expired' : 'idle';
  }

  private obtain(): Promise<HeldToken> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.inFlight !== null) return this.inFlight;
    if (this.lockout !== null) return Promise.reject(this.lockout);
    // A caller never waits out a backoff, but a burst of callers must not hammer a failing endpoint either.
    if (this.lastError !== null && this.now() < this.failureSpacingEndsAtMs()) {
      return Promise.reject(this.lastError);
    }
    return this.startRequest(this.renewalGrant());
  }

  /** Until when, after a failure, no token request is sent on a caller's behalf (spacing and `Retry-After`). */
  private failureSpacingEndsAtMs(): number {
    if (this.lastError === null) return Number.NEGATIVE_INFINITY;
    return Math.max(
      this.lastFailureAtMs + onDemandIntervalMs(this.consecutiveFailures),
      this.retryAfterUntilMs,
    );
  }

  private renewalGrant(): GrantType {
    return this.refreshToken !== undefined && !this.preferPasswordGrant
      ? 'refresh_token'
      : 'password';
  }

  private startRequest(grant: GrantType, delayMs = 0): Promise<HeldToken> {
    // Whatever renewal or retry was pending is superseded by this request.
    this.deps.timer.cancel();
    // The attempt's duration, for events, leaves out the spacing pause: it measures EnKash, not our politeness.
    let startedAtMs = this.now();
    const request = this.pause(delayMs)
      .then(() => {
        startedAtMs = this.now();
        return this.runGrant(grant);
      })
      .then(
        ({ tokenSet, source, sentAtMs }) => this.adopt(tokenSet, source, sentAtMs, startedAtMs),
        (error: unknown) => {
          const failure = this.recordFailure(error, grant);
          this.reportFailure(failure, grant, startedAtMs);
          throw failure;
        },
      )
      .finally(() => {
        if (this.inFlight === request) this.inFlight = null;
      });
    this.inFlight = request;
    // Background requests have no caller awaiting them; their failures are logged in recordFailure.
    request.catch(() => undefined);
    return request;
  }

  /** Waits before a request that would come too soon after the previous one; cut short by close(). */
  private pause(delayMs: number): Promise<void> {
    if (delayMs <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // Not unref'd: callers may be waiting on the request behind it; close() clears it.
      const handle = setTimeout(() => {
        this.pendingPause = null;
        resolve();
      }, delayMs);
      this.pendingPause = { handle, cancel: reject };
    });
  }

  /**
   * Where the next token comes from. Alone, straight from EnKash. With a shared store: from the store when another
   * instance already holds a newer token; else a password grant (it revokes nothing, so it needs no lock); else a
   * refresh grant under the renewal lock, written to the store before the lock is released, so that no other
   * instance ever spends a refresh grant on a token already renewed.
   */
  private async runGrant(grant: GrantType): Promise<ObtainedToken> {
    if (this.closed) throw this.closedError();
    const sharing = this.sharing;
    if (sharing === undefined) return this.requestToken(grant, { storeAnswered: false });
    const shared = await this.newerSharedToken(sharing);
    if (shared.obtained !== undefined) return shared.obtained;
    if (!shared.storeAnswered) return this.requestToken(grant, { storeAnswered: false });
    if (grant === 'password' || this.refreshToken === undefined) {
      const obtained = await this.requestToken(grant, { storeAnswered: true });
      // Not awaited: a slow store must not delay callers waiting for this token.
      void sharing.write(this.toShared(obtained));
      return obtained;
    }
    return this.renewUnderLock(sharing, grant);
  }

  private async renewUnderLock(sharing: TokenSharing, grant: GrantType): Promise<ObtainedToken> {
    for (let round = 0; round < LOCK_WAIT_ROUNDS; round += 1) {
      const outcome = await sharing.lock();
      if (this.closed) throw this.closedError();
      if (outcome === 'unavailable') break;
      if (outcome === 'acquired') {
        try {
          const shared = await this.newerSharedToken(sharing);
          if (shared.obtained !== undefined) return shared.obtained;
          const obtained = await this.requestToken(grant, { storeAnswered: shared.storeAnswered });
          await sharing.write(this.toShared(obtained));
          return obtained;
        } finally {
          await sharing.unlock();
        }
      }
      // Another instance is renewing: its token arrives through the store, and this one spends no refresh grant.
      // It may have written already, between our read and our lock attempt: a notice sent then is not heard again.
      const early = await this.newerSharedToken(sharing);
      if (early.obtained !== undefined) return early.obtained;
      await sharing.waitForWrite();
      if (this.closed) throw this.closedError();
      const shared = await this.newerSharedToken(sharing);
      if (shared.obtained !== undefined) return shared.obtained;
      if (!shared.storeAnswered) break;
    }
    // The store is down, or the lock holder never wrote: renew as a lone instance would.
    return this.requestToken(grant, { storeAnswered: false });
  }

  /**
   * The store's token when it is worth adopting: another one than the held token, never the token EnKash refused,
   * with some life left, and living longer than the held one.
   */
  private async newerSharedToken(
    sharing: TokenSharing,
  ): Promise<{ obtained?: ObtainedToken; storeAnswered: boolean }> {
    const shared = await sharing.read();
    if (shared === 'unavailable') return { storeAnswered: false };
    if (shared === undefined || this.closed) return { storeAnswered: true };
    const lifetimeMs = shared.expiresAt - Date.now();
    const held = this.held;
    const worthAdopting =
      shared.accessToken !== held?.accessToken &&
      shared.accessToken !== this.lastRefusedToken &&
      lifetimeMs >= MIN_USEFUL_LIFETIME_MS &&
      (held === null || shared.expiresAt > held.expiresAt.getTime());
    if (!worthAdopting) return { storeAnswered: true };
    const tokenSet: TokenSet = {
      accessToken: shared.accessToken,
      lifetimeMs,
      lifetimeAssumed: false,
      ...(shared.refreshToken !== undefined ? { refreshToken: shared.refreshToken } : {}),
    };
    return { obtained: { tokenSet, source: 'store', sentAtMs: this.now() }, storeAnswered: true };
  }

  private toShared({ tokenSet, sentAtMs }: ObtainedToken): SharedEnkashToken {
    return sharedToken(
      tokenSet.accessToken,
      Date.now() + (sentAtMs + tokenSet.lifetimeMs - this.now()),
      tokenSet.refreshToken ?? this.refreshToken,
    );
  }

  /** Another instance wrote a token: adopt it now rather than when this instance's own timer fires. */
  private onSharedTokenWritten(): void {
    // A request under way adopts whatever it finds (or gets from EnKash) itself.
    if (this.closed || this.inFlight !== null || this.adoptingShared || this.sharing === undefined)
      return;
    this.adoptingShared = true;
    const startedAtMs = this.now();
    void this.newerSharedToken(this.sharing)
      .then(({ obtained }) => {
        if (obtained !== undefined && !this.closed && this.inFlight === null) {
          this.adopt(obtained.tokenSet, obtained.source, obtained.sentAtMs, startedAtMs);
        }
      })
      .finally(() => {
        this.adoptingShared = false;
      });
  }

  /** The store answers again (it may have restarted empty): give it the token this instance holds. */
  private offerHeldToken(): void {
    const held = this.held;
    if (held === null || this.sharing === undefined || this.currentToken() === undefined) return;
    void this.sharing.write(
      sharedToken(held.accessToken, held.expiresAt.getTime(), held.refreshToken),
    );
  }

  /**
   * A token from EnKash. Before a refresh grant, unless the shared store answered, it asks EnKash with the password
   * grant for its current token: another replica may have renewed already (EnKash hands its current token back to
   * the password grant), and a refresh grant of our own would revoke that replica's token.
   */
  private async requestToken(
    grant: GrantType,
    { storeAnswered }: { storeAnswered: boolean },
  ): Promise<ObtainedToken> {
    // A configured store that does not answer is itself the sign that other replicas exist.
    const storeMissing = this.sharing !== undefined;
    if (this.closed) throw this.closedError();
    if (grant === 'refresh_token' && this.refreshToken !== undefined && !storeAnswered) {
      const current = await this.serverTokenIfNewer(storeMissing);
      if (current !== undefined) return current;
      if (this.closed) throw this.closedError();
    }
    this.lastRequestStartedAtMs = this.now();
    if (grant === 'refresh_token' && this.refreshToken !== undefined) {
      const sentAtMs = this.lastRequestStartedAtMs;
      const tokenSet = await this.refreshOrGiveWay(this.refreshToken);
      if (tokenSet !== undefined) {
        // Adopting it would schedule the next renewal at once, and the one after: a storm. Back off instead.
        if (tokenSet.lifetimeMs < MIN_USEFUL_LIFETIME_MS) throw this.tooShortLived();
        return { tokenSet, source: grant, sentAtMs };
      }
      this.refreshToken = undefined;
    }
    let sentAtMs = this.now();
    let tokenSet = await this.passwordGrant();
    let source: GrantType = 'password';
    if (tokenSet.lifetimeMs < MIN_USEFUL_LIFETIME_MS) {
      // The server handed back its current token in its last second: the refresh grant replaces it for a full
      // life; failing that, the next password grant after it has expired brings a new one.
      const refreshToken = tokenSet.refreshToken ?? this.refreshToken;
      sentAtMs = this.now();
      const renewed =
        refreshToken === undefined ? undefined : await this.refreshOrGiveWay(refreshToken);
      if (renewed !== undefined) {
        tokenSet = renewed;
        source = 'refresh_token';
      } else {
        await this.pause(MIN_USEFUL_LIFETIME_MS);
        sentAtMs = this.now();
        tokenSet = await this.passwordGrant();
      }
      if (tokenSet.lifetimeMs < MIN_USEFUL_LIFETIME_MS) throw this.tooShortLived();
    }
    return { tokenSet, source, sentAtMs };
  }

  /** The password grant, unless EnKash already refused the password to this instance's check. */
  private passwordGrant(): Promise<TokenSet> {
    if (this.passwordRefused !== null) return Promise.reject(this.passwordRefused);
    return this.deps.client.requestPasswordGrant();
  }

  /**
   * EnKash's current token when it is not the held one: another replica renewed it, and the held one is revoked (or
   * it expired and EnKash issued a new one). `undefined` when EnKash still holds our token: the refresh grant follows.
   * A refused password gives the check up for good (each try would be a failed login towards EnKash's lock-out) and
   * lets the refresh grant go on, as it needs no password.
   */
  private async serverTokenIfNewer(storeMissing: boolean): Promise<ObtainedToken | undefined> {
    const mode = this.deps.options.serverTokenCheck;
    const wanted =
      mode === 'always' || (mode === 'auto' && (this.replicaSuspected || storeMissing));
    if (!wanted || this.serverCheckRefused) return undefined;
    this.lastRequestStartedAtMs = this.now();
    const sentAtMs = this.lastRequestStartedAtMs;
    let current: TokenSet;
    try {
      current = await this.deps.client.requestPasswordGrant();
    } catch (error) {
      if (
        !(error instanceof EnkashAuthError) ||
        error.code !== 'invalid_credentials' ||
        this.closed
      )
        throw error;
      this.serverCheckRefused = true;
      this.passwordRefused = error;
      this.deps.logger.warn(serverTokenCheckRefused());
      return undefined;
    }
    if (
      current.accessToken !== this.held?.accessToken &&
      current.lifetimeMs >= MIN_USEFUL_LIFETIME_MS
    ) {
      return { tokenSet: current, source: 'password', sentAtMs };
    }
    if (current.refreshToken !== undefined) this.refreshToken = current.refreshToken;
    return undefined;
  }

  /**
   * The refresh grant, or `undefined` when EnKash will not honour it (refresh token expired or revoked, grant not
   * enabled for the client...): the caller then falls back to the password grant, once. Only a password grant
   * failure can mean bad credentials. Transient failures are thrown, to be retried with backoff.
   */
  private async refreshOrGiveWay(refreshToken: string): Promise<TokenSet | undefined> {
    this.refreshGrantPending = true;
    try {
      return await this.deps.client.requestRefreshGrant(refreshToken);
    } catch (error) {
      if (!(error instanceof EnkashAuthError) || error.retryable || this.closed) throw error;
      this.deps.logger.warn(refreshRejectedFallingBack(error.oauthError ?? error.code));
      return undefined;
    } finally {
      this.refreshGrantPending = false;
    }
  }

  private adopt(
    tokenSet: TokenSet,
    source: TokenSource,
    sentAtMs: number,
    startedAtMs: number,
  ): HeldToken {
    if (this.closed) throw this.closedError();
    const now = this.now();
    const replacedValidToken = this.currentToken() !== undefined;
    const expiresAtMs = sentAtMs + tokenSet.lifetimeMs;
    // EnKash usually answers a refresh grant without a new refresh token: the old one stays good.
    if (tokenSet.refreshToken !== undefined) this.refreshToken = tokenSet.refreshToken;
    const held: HeldToken = {
      accessToken: tokenSet.accessToken,
      usableUntilMs: expiresAtMs - expiryGuardMs(tokenSet.lifetimeMs),
      expiresAt: new Date(Date.now() + (expiresAtMs - now)),
      refreshToken: this.refreshToken,
      source,
    };
    this.held = held;
    const refusalPauseMs = this.refusals.handedBack(tokenSet.accessToken, now);
    if (refusalPauseMs !== undefined) this.deps.logger.warn(refusedTokenHandedBack(refusalPauseMs));
    this.preferPasswordGrant = false;
    // A token another instance obtained says nothing of this instance's credentials: a lock-out stays, so that no
    // password grant of ours follows the next 401.
    if (source !== 'store') this.lockout = null;
    this.lastError = null;
    this.consecutiveFailures = 0;
    this.retryAfterUntilMs = Number.NEGATIVE_INFINITY;
    this.renewals += 1;
    this.lastRenewalAt = new Date();

    const delayMs = renewalDelayMs(
      tokenSet.lifetimeMs,
      this.deps.options.refreshBeforeExpirySeconds,
      this.renewalJitter,
    );
    this.deps.timer.schedule(delayMs - (now - sentAtMs), () => this.renewInBackground());
    this.deps.logger.log(tokenObtained(source, held.expiresAt, this.deps.timer.dueAt));
    if (tokenSet.lifetimeAssumed) this.deps.logger.warn(lifetimeAssumed(tokenSet.lifetimeMs));
    if (tokenSet.lifetimeCapped) this.deps.logger.warn(lifetimeCapped(tokenSet.lifetimeMs));
    this.events.obtained(replacedValidToken, source, now - startedAtMs, held.expiresAt);
    return held;
  }

  private renewInBackground(): void {
    if (this.closed || this.lockout !== null || this.inFlight !== null) return;
    void this.startRequest(this.renewalGrant());
  }

  private recordFailure(error: unknown, grant: GrantType): unknown {
    if (this.closed || !(error instanceof EnkashAuthError)) return error;
    const now = this.now();
    this.consecutiveFailures += 1;
    this.lastError = error;
    this.lastFailureAtMs = now;
    if (error.retryAfterMs !== undefined) this.retryAfterUntilMs = now + error.retryAfterMs;

    if (!error.retryable) {
      this.lockout = error;
      this.deps.timer.cancel();
      this.deps.logger.error(lockedOut(error));
      return error;
    }
    const delayMs = Math.max(
      backoffDelayMs(this.consecutiveFailures, this.random),
      error.retryAfterMs ?? 0,
    );
    this.deps.timer.schedule(delayMs, () => this.renewInBackground());
    const validUntil = this.currentToken() !== undefined ? (this.held?.expiresAt ?? null) : null;
    this.deps.logger.warn(
      retryScheduled(
        error.grantType ?? grant,
        error.code,
        error.status,
        delayMs,
        validUntil,
        error.message,
      ),
    );
    return error;
  }

  /** Reports a failed token request, unless the engine is closing (the request was aborted, not failed). */
  private reportFailure(failure: unknown, grant: GrantType, startedAtMs: number): void {
    if (this.closed || !(failure instanceof EnkashAuthError)) return;
    const stillValid = this.currentToken() !== undefined ? (this.held?.expiresAt ?? null) : null;
    this.events.failed(
      failure.grantType ?? grant,
      this.now() - startedAtMs,
      stillValid,
      failure.code,
    );
  }

  private tooShortLived(): EnkashAuthError {
    return new EnkashAuthError(
      'malformed_response',
      malformedAnswer(200, 'expires_in below one second'),
      {
        status: 200,
        retryable: true,
      },
    );
  }

  private closedError(): EnkashAuthError {
    return new EnkashAuthError('network', serviceClosed());
  }
}

/** A token as the store holds it; the refresh token only when there is one. */
function sharedToken(
  accessToken: string,
  expiresAt: number,
  refreshToken: string | undefined,
): SharedEnkashToken {
  return refreshToken === undefined
    ? { accessToken, expiresAt }
    : { accessToken, expiresAt, refreshToken };
}
