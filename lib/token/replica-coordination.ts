import type { SharedEnkashToken } from '../store/token-store.interface.js';
import type { ObtainedToken } from './engine-events.js';
import { heldToken, sharedToken } from './engine-state.js';
import { closedError } from './engine-errors.js';
import type { GrantType } from './grant.js';
import { MIN_USEFUL_LIFETIME_MS } from './renewal-policy.js';
import type { EngineView, TokenAcquisition } from './token-acquisition.js';
import type { TokenSharing } from './token-sharing.js';
import type { TokenSet } from './token-set.js';

/**
 * How often an instance waits for the holder of the renewal lock to write its token before renewing on its own:
 * a holder that crashed leaves a lock that only its TTL ends.
 */
const LOCK_WAIT_ROUNDS = 2;

/** What a look at the store found: a token worth adopting, and whether the store answered at all. */
interface StoreLook {
  readonly obtained?: ObtainedToken;
  readonly storeAnswered: boolean;
}

/**
 * How replicas that share one EnKash account through a token store get their tokens without revoking each other's:
 * adopt a newer token from the store; send a password grant freely (it revokes nothing); send a refresh grant only
 * under the renewal lock, and write its token before the lock is released; give way while another replica renews.
 * It reads the engine through a view and never changes it: the engine adopts what it returns.
 */
export class ReplicaCoordination {
  constructor(
    private readonly sharing: TokenSharing,
    private readonly view: EngineView,
    private readonly now: () => number,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * The next token for an attempt that starts with `grant`: from the store, or from EnKash through `acquisition`,
   * under the lock, so that replicas that boot together log in once and adopt that token, and a refresh grant never
   * revokes a token another replica just obtained.
   */
  async obtain(grant: GrantType, acquisition: TokenAcquisition): Promise<ObtainedToken> {
    const look = await this.newerToken();
    if (look.obtained !== undefined) return look.obtained;
    if (!look.storeAnswered) return acquisition.fromEnkash(grant, { storeAnswered: false });
    return this.renewUnderLock(grant, acquisition);
  }

  /**
   * The store's token when it is worth adopting: another one than the held token, never the token EnKash refused,
   * with some life left, and living longer than the held one.
   */
  async newerToken(): Promise<StoreLook> {
    const shared = await this.sharing.read();
    if (shared === 'unavailable') return { storeAnswered: false };
    if (shared === undefined || this.signal.aborted) return { storeAnswered: true };
    const lifetimeMs = shared.expiresAt - Date.now();
    const held = heldToken(this.view.state());
    const worthAdopting =
      shared.accessToken !== held?.accessToken &&
      shared.accessToken !== this.view.memory().refused?.accessToken &&
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

  /** Offers a token to the other instances; never throws. */
  share(token: SharedEnkashToken): Promise<void> {
    return this.sharing.write(token);
  }

  private async renewUnderLock(
    grant: GrantType,
    acquisition: TokenAcquisition,
  ): Promise<ObtainedToken> {
    for (let round = 0; round < LOCK_WAIT_ROUNDS; round += 1) {
      const outcome = await this.sharing.lock();
      this.throwIfClosed();
      if (outcome === 'unavailable') break;
      if (outcome === 'acquired') {
        try {
          const look = await this.newerToken();
          if (look.obtained !== undefined) return look.obtained;
          // The others hold their new calls until this token is written: the refresh grant revokes theirs.
          if (grant === 'refresh_token' && acquisition.knownRefreshToken !== undefined) {
            await this.sharing.announceRenewal();
            this.throwIfClosed();
          }
          const obtained = await acquisition.fromEnkash(grant, {
            storeAnswered: look.storeAnswered,
          });
          await this.sharing.write(this.toShared(obtained, acquisition.knownRefreshToken));
          return obtained;
        } finally {
          await this.sharing.unlock();
        }
      }
      // Another instance is logging in or renewing: its token arrives through the store, and this one spends no grant.
      // It may have written already, between our read and our lock attempt: a notice sent then is not heard again.
      const early = await this.newerToken();
      if (early.obtained !== undefined) return early.obtained;
      await this.sharing.waitForWrite();
      this.throwIfClosed();
      const look = await this.newerToken();
      if (look.obtained !== undefined) return look.obtained;
      if (!look.storeAnswered) break;
    }
    // The store is down, or the lock holder never wrote: renew as a lone instance would.
    return acquisition.fromEnkash(grant, { storeAnswered: false });
  }

  private toShared(
    { tokenSet, sentAtMs }: ObtainedToken,
    knownRefreshToken: string | undefined,
  ): SharedEnkashToken {
    const expiresAt = Date.now() + (sentAtMs + tokenSet.lifetimeMs - this.now());
    return sharedToken(tokenSet.accessToken, expiresAt, tokenSet.refreshToken ?? knownRefreshToken);
  }

  private throwIfClosed(): void {
    if (this.signal.aborted) throw closedError();
  }
}
