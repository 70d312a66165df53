import type { LoggerService } from '@nestjs/common';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import {
  refreshRejectedFallingBack,
  serverTokenCheckBeforeRefresh,
  serverTokenCheckRefused,
} from '../enkash-auth.messages.js';
import type { EnkashServerTokenCheck } from '../interfaces/enkash-auth-options.interface.js';
import type { AttemptFindings, ObtainedToken } from './engine-events.js';
import type { AccountMemory, EngineState, PasswordRefusal } from './engine-state.js';
import { heldToken } from './engine-state.js';
import { closedError, pause, tooShortLivedError } from './engine-errors.js';
import type { GrantType } from './grant.js';
import { MIN_USEFUL_LIFETIME_MS } from './renewal-policy.js';
import type { TokenHttpClient } from './token-http-client.js';
import type { TokenSet } from './token-set.js';

/** What the engine needs from the wire: the two grants, and a way to abort them. */
export type TokenGrantClient = Pick<
  TokenHttpClient,
  'requestPasswordGrant' | 'requestRefreshGrant' | 'close'
>;

/** What an attempt reads of the engine while it runs; it never changes the engine. */
export interface EngineView {
  state(): EngineState;
  memory(): AccountMemory;
}

/** Everything one attempt needs; `signal` aborts when the engine closes. */
export interface TokenAcquisitionDependencies {
  readonly client: TokenGrantClient;
  readonly serverTokenCheck: EnkashServerTokenCheck;
  /** Whether a shared store is configured: one that does not answer is itself the sign that other replicas exist. */
  readonly storeConfigured: boolean;
  readonly logger: Pick<LoggerService, 'log' | 'warn'>;
  readonly now: () => number;
  readonly signal: AbortSignal;
  readonly view: EngineView;
}

/**
 * One attempt to get a token from EnKash: which grant to send, the check for the server's current token before a
 * refresh grant, the fallback from a refresh grant EnKash will not honour to the password grant, and the answer
 * given in a token's last second. What it learns of the account on the way is read back as {@link findings}.
 */
export class TokenAcquisition {
  private refreshToken: string | undefined;
  private passwordRefusal: PasswordRefusal | null;
  private lastRequestAtMs: number | undefined;
  private refreshGrantUnderWay = false;

  constructor(private readonly deps: TokenAcquisitionDependencies) {
    this.refreshToken = deps.view.memory().refreshToken;
    this.passwordRefusal = deps.view.memory().passwordRefusal;
  }

  /** A refresh grant is under way: EnKash may already have revoked the held token. */
  get revokingHeldToken(): boolean {
    return this.refreshGrantUnderWay;
  }

  /** The refresh token a token without one is shared with. */
  get knownRefreshToken(): string | undefined {
    return this.refreshToken;
  }

  /** What this attempt learned of the account, to be kept whether it succeeded or not. */
  get findings(): AttemptFindings {
    return {
      refreshToken: this.refreshToken,
      passwordRefusal: this.passwordRefusal,
      lastRequestAtMs: this.lastRequestAtMs,
    };
  }

  /**
   * A token from EnKash. Before a refresh grant, unless the shared store answered, it may ask EnKash with the
   * password grant for its current token: another replica may have renewed already (EnKash hands its current token
   * back to the password grant), and a refresh grant of our own would revoke that replica's token.
   */
  async fromEnkash(
    grant: GrantType,
    { storeAnswered }: { storeAnswered: boolean },
  ): Promise<ObtainedToken> {
    this.throwIfClosed();
    if (grant === 'refresh_token' && this.refreshToken !== undefined && !storeAnswered) {
      const current = await this.serverTokenIfNewer();
      if (current !== undefined) return current;
      this.throwIfClosed();
    }
    if (grant === 'refresh_token' && this.refreshToken !== undefined) {
      const sentAtMs = this.markSent();
      const tokenSet = await this.refreshOrGiveWay(this.refreshToken);
      if (tokenSet !== undefined) {
        // Adopting it would schedule the next renewal at once, and the one after: a storm. Back off instead.
        if (tokenSet.lifetimeMs < MIN_USEFUL_LIFETIME_MS) throw tooShortLivedError();
        return { tokenSet, source: grant, sentAtMs };
      }
      this.refreshToken = undefined;
    }
    return this.passwordGrantWithFullLife();
  }

  /**
   * The password grant. A server that hands back its current token in its last second gets the refresh grant, which
   * replaces it for a full life; failing that, the next password grant after it has expired brings a new one.
   */
  private async passwordGrantWithFullLife(): Promise<ObtainedToken> {
    let sentAtMs = this.markSent();
    let tokenSet = await this.passwordGrant();
    if (tokenSet.lifetimeMs >= MIN_USEFUL_LIFETIME_MS)
      return { tokenSet, source: 'password', sentAtMs };
    const refreshToken = tokenSet.refreshToken ?? this.refreshToken;
    sentAtMs = this.markSent();
    const renewed =
      refreshToken === undefined ? undefined : await this.refreshOrGiveWay(refreshToken);
    let source: GrantType = 'password';
    if (renewed !== undefined) {
      tokenSet = renewed;
      source = 'refresh_token';
    } else {
      await pause(MIN_USEFUL_LIFETIME_MS, this.deps.signal);
      sentAtMs = this.markSent();
      tokenSet = await this.passwordGrant();
    }
    if (tokenSet.lifetimeMs < MIN_USEFUL_LIFETIME_MS) throw tooShortLivedError();
    return { tokenSet, source, sentAtMs };
  }

  /** The password grant, unless EnKash already refused the password to this engine's check. */
  private passwordGrant(): Promise<TokenSet> {
    if (this.passwordRefusal?.blocksPasswordGrant)
      return Promise.reject(this.passwordRefusal.error);
    return this.deps.client.requestPasswordGrant();
  }

  /**
   * EnKash's current token when it is not the held one: another replica renewed it, and the held one is revoked (or
   * it expired and EnKash issued a new one). `undefined` when EnKash still holds our token: the refresh grant follows.
   * A refused password gives the check up for good (each try would be a failed login towards EnKash's lock-out) and
   * lets the refresh grant go on, as it needs no password.
   */
  private async serverTokenIfNewer(): Promise<ObtainedToken | undefined> {
    const mode = this.deps.serverTokenCheck;
    const suspectedRenewalsLeft = this.deps.view.memory().suspectedRenewalsLeft;
    const wanted =
      mode === 'always' ||
      (mode === 'auto' && (suspectedRenewalsLeft > 0 || this.deps.storeConfigured));
    if (!wanted || this.passwordRefusal !== null) return undefined;
    if (mode === 'auto' && suspectedRenewalsLeft > 0) {
      this.deps.logger.log(serverTokenCheckBeforeRefresh(suspectedRenewalsLeft - 1));
    }
    const sentAtMs = this.markSent();
    let current: TokenSet;
    try {
      current = await this.deps.client.requestPasswordGrant();
    } catch (error) {
      if (!(error instanceof EnkashAuthError) || error.code !== 'invalid_credentials') throw error;
      this.throwIfClosed();
      this.passwordRefusal = { error, blocksPasswordGrant: true };
      this.deps.logger.warn(serverTokenCheckRefused());
      return undefined;
    }
    const held = heldToken(this.deps.view.state());
    if (current.accessToken !== held?.accessToken && current.lifetimeMs >= MIN_USEFUL_LIFETIME_MS) {
      return { tokenSet: current, source: 'password', sentAtMs };
    }
    if (current.refreshToken !== undefined) this.refreshToken = current.refreshToken;
    return undefined;
  }

  /**
   * The refresh grant, or `undefined` when EnKash will not honour it (refresh token expired or revoked, grant not
   * enabled for the client...): the password grant follows, once. Only a password grant failure can mean bad
   * credentials. Transient failures are thrown, to be retried with backoff.
   */
  private async refreshOrGiveWay(refreshToken: string): Promise<TokenSet | undefined> {
    this.refreshGrantUnderWay = true;
    try {
      return await this.deps.client.requestRefreshGrant(refreshToken);
    } catch (error) {
      if (!(error instanceof EnkashAuthError) || error.retryable) throw error;
      this.throwIfClosed();
      this.deps.logger.warn(refreshRejectedFallingBack(error.oauthError ?? error.code));
      return undefined;
    } finally {
      this.refreshGrantUnderWay = false;
    }
  }

  private markSent(): number {
    this.lastRequestAtMs = this.deps.now();
    return this.lastRequestAtMs;
  }

  private throwIfClosed(): void {
    if (this.deps.signal.aborted) throw closedError();
  }
}
