import type { LoggerService } from '@nestjs/common';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { invalidTokenWait, unexpectedTokenFailure } from '../enkash-auth.messages.js';
import type { TokenEngineEvent } from '../events/enkash-token-event.interface.js';
import type { ResolvedEnkashAuthOptions } from '../interfaces/enkash-auth-options.interface.js';
import type { EnkashTokenStatus } from '../interfaces/enkash-token-status.interface.js';
import type { EnkashTokenWaitOptions } from '../interfaces/enkash-token-wait-options.interface.js';
import type { TokenStore } from '../store/token-store.interface.js';
import type { Effect, EngineEvent } from './engine-events.js';
import type { AccountMemory, EngineState, HeldToken } from './engine-state.js';
import { FRESH_MEMORY, heldToken, publishedState, streakOf, usableToken } from './engine-state.js';
import { closedError, pause } from './engine-errors.js';
import { transition } from './engine-transition.js';
import { awaitRenewal } from './renewal-wait.js';
import type { GrantType } from './grant.js';
import type { RenewalTimer } from './renewal-timer.js';
import { ReplicaCoordination } from './replica-coordination.js';
import type { EngineView, TokenGrantClient } from './token-acquisition.js';
import { TokenAcquisition } from './token-acquisition.js';
import { TokenEventReporter } from './token-event-reporter.js';
import { TokenSharing } from './token-sharing.js';
import { DEFAULT_TOKEN_WAIT_MS, WaitingCallers } from './waiting-callers.js';
import type { StoreNotice } from './token-sharing.js';

export type { TokenGrantClient } from './token-acquisition.js';

/** Everything the token engine depends on, injectable so that its timing can be tested with fake timers. */
export interface TokenEngineDependencies {
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

/** The callers of the request under way, and the acquisition that runs it. */
interface RunningAttempt {
  /** When its first token request may leave (monotonic): it may wait out a spacing or a `Retry-After` first. */
  readonly startsAtMs: number;
  readonly result: Promise<HeldToken>;
  readonly settle: (outcome: { token: HeldToken } | { failure: EnkashAuthError }) => void;
  readonly acquisition: TokenAcquisition;
}

/**
 * The token engine: holds one {@link EngineState} and one {@link AccountMemory}, feeds each event to
 * {@link transition} and runs the effects it returns. Framework-free; `EnkashAuthService` wires it into Nest's
 * lifecycle.
 */
export class TokenEngine {
  private state: EngineState = { kind: 'idle' };
  private memory: AccountMemory = FRESH_MEMORY;
  /** Present exactly while the state has an attempt. */
  private running: RunningAttempt | null = null;
  /** Callers of getAccessToken() without a token yet. */
  private readonly waiting = new WaitingCallers();
  private readonly shutdown = new AbortController();
  private readonly view: EngineView;
  private readonly sharing: TokenSharing | undefined;
  private readonly coordination: ReplicaCoordination | undefined;
  private readonly events: TokenEventReporter;
  private readonly now: () => number;

  constructor(private readonly deps: TokenEngineDependencies) {
    this.now = deps.now ?? (() => performance.now());
    this.events = new TokenEventReporter(deps.onEvent, deps.logger);
    this.view = { state: () => this.state, memory: () => this.memory };
    if (deps.sharedStore !== undefined) {
      const sharing = new TokenSharing({
        ...deps.sharedStore,
        tokenRequestTimeoutMs: deps.options.tokenRequestTimeoutMs,
        logger: deps.logger,
      });
      sharing.listen((notice) => this.onStoreNotice(notice));
      this.sharing = sharing;
      this.coordination = new ReplicaCoordination(
        sharing,
        this.view,
        this.now,
        this.shutdown.signal,
      );
    }
  }

  /** The held token if it is still valid; never contacts EnKash. */
  currentToken(): string | undefined {
    return usableToken(this.state, this.now())?.accessToken;
  }

  /**
   * The held token if it is valid and not being replaced right now; never waits. While a refresh grant is under way
   * EnKash may already have revoked the held token, so hot paths go through {@link getAccessToken} then.
   */
  readyToken(): string | undefined {
    if (this.running?.acquisition.revokingHeldToken === true) return undefined;
    if (this.heldBackForMs() > 0) return undefined;
    return this.currentToken();
  }

  /**
   * The valid token, from the cache or from a token request shared with every concurrent caller. After a failure
   * that may pass, it waits for the next request when that one starts within `waitMs`.
   */
  getAccessToken(options: EnkashTokenWaitOptions = {}): Promise<string> {
    const { waitMs } = options;
    if (
      waitMs !== undefined &&
      (typeof waitMs !== 'number' || Number.isNaN(waitMs) || waitMs < 0)
    ) {
      return Promise.reject(new EnkashAuthError('config', invalidTokenWait(waitMs)));
    }
    const token = this.currentToken();
    if (token === undefined) return this.obtain(options).then((held) => held.accessToken);
    const fallBack = (): Promise<string> => {
      const held = this.currentToken();
      return held !== undefined
        ? Promise.resolve(held)
        : this.obtain(options).then((t) => t.accessToken);
    };
    const running = this.running;
    if (running?.acquisition.revokingHeldToken === true)
      return awaitRenewal(running.result, fallBack);
    const heldBackMs = this.heldBackForMs();
    if (heldBackMs <= 0) return Promise.resolve(token);
    // Another replica announced its refresh grant: its token comes through the store.
    const leave = new AbortController();
    return awaitRenewal(
      this.waiting.add(Number.POSITIVE_INFINITY, leave.signal),
      () => {
        leave.abort();
        return fallBack();
      },
      heldBackMs,
    );
  }

  /** Fetches the first token in the background; a failure is logged and retried, never thrown. */
  start(): void {
    this.dispatch({ kind: 'startAsked' });
  }

  /** Renews now, or joins the token request under way. Clears a lock-out: the explicit way to try again. */
  async refresh(): Promise<void> {
    if (this.running === null) this.dispatch({ kind: 'refreshAsked' });
    await this.joinOrReject();
  }

  /** EnKash refused `token`: drop it if it is still the held one and fetch the server's current token. */
  invalidate(token: string): void {
    this.dispatch({ kind: 'tokenRefused', accessToken: token });
  }

  /** Stops every timer and aborts the token request under way; later calls reject. */
  close(): void {
    this.dispatch({ kind: 'closeAsked' });
  }

  /** A snapshot for health checks; never holds a token. */
  getStatus(): EnkashTokenStatus {
    const { state, memory } = this;
    const nowMs = this.now();
    const streak = streakOf(state);
    const onWallClock = (atMs: number): Date => new Date(Date.now() + (atMs - nowMs));
    return {
      state: publishedState(state, nowMs),
      expiresAt: heldToken(state)?.expiresAt ?? null,
      nextRenewalAt: state.kind === 'valid' ? onWallClock(state.renewAtMs) : null,
      nextRetryAt: state.kind === 'retrying' ? onWallClock(state.retryAtMs) : null,
      lastObtainedAt: memory.lastObtainedAt,
      tokensObtained: memory.tokensObtained,
      consecutiveFailures: streak?.failures ?? 0,
      lastErrorCode: streak?.lastError.code ?? null,
    };
  }

  /**
   * A token for a caller without one: the request under way, a new one, or the next retry when it starts within the
   * caller's patience. Otherwise the failure no caller may retry yet, or the lock-out, at once.
   */
  private obtain({
    waitMs = DEFAULT_TOKEN_WAIT_MS,
    signal,
  }: EnkashTokenWaitOptions): Promise<HeldToken> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const nowMs = this.now();
    const waitUntilMs = nowMs + waitMs;
    // Joining the request under way changes nothing: the transition would ignore the ask.
    if (this.running === null) this.dispatch({ kind: 'tokenAsked', waitUntilMs });
    const { state, running } = this;
    // How long until a request starts: the one under way may wait out a spacing or a Retry-After first.
    let untilStartMs: number | null = null;
    if (running !== null) untilStartMs = Math.max(0, running.startsAtMs - nowMs);
    else if (state.kind === 'retrying') untilStartMs = state.retryAtMs - nowMs;
    const streak = streakOf(state);
    if (
      untilStartMs !== null &&
      (untilStartMs <= waitMs || (running !== null && streak === null))
    ) {
      return this.waiting.add(waitMs - Math.min(untilStartMs, waitMs), signal);
    }
    return streak === null ? this.joinOrReject() : Promise.reject(streak.lastError);
  }

  /** The request under way, or why there is none: the failure no caller may retry yet, or the lock-out. */
  private joinOrReject(): Promise<HeldToken> {
    if (this.running !== null) return this.running.result;
    const streak = streakOf(this.state);
    return Promise.reject(streak === null ? closedError() : streak.lastError);
  }

  /** The one place the state changes. */
  private dispatch(event: EngineEvent): void {
    const drawsJitter =
      event.kind === 'tokenObtained' ||
      event.kind === 'attemptFailed' ||
      event.kind === 'storeTokenFound';
    const nowMs = this.now();
    const next = transition(this.state, this.memory, event, {
      nowMs,
      epochMs: Date.now(),
      refreshBeforeExpirySeconds: this.deps.options.refreshBeforeExpirySeconds,
      backoffJitter: drawsJitter ? (this.deps.random ?? Math.random)() : 0,
      renewalJitter: drawsJitter ? (this.deps.renewalJitter ?? Math.random)() : 0,
      callersWaitUntilMs: nowMs + this.waiting.longestPatienceLeftMs(),
    });
    this.state = next.state;
    this.memory = next.memory;
    // The attempt that just ended stays joinable until its callers are settled: a listener told of its end that
    // asks for a token or calls refresh() joins it, as a caller would have a moment before.
    const ended = isAttempt(next.state) ? null : this.running;
    for (const effect of next.effects) {
      try {
        this.run(effect, ended);
      } catch {
        // Only a logger can throw here (listeners are guarded): the engine carries on, callers are still settled.
      }
    }
    if (ended !== null && this.running === ended) this.running = null;
  }

  private run(effect: Effect, ended: RunningAttempt | null): void {
    switch (effect.kind) {
      case 'startAttempt':
        return this.startAttempt(effect.grant, effect.delayMs);
      case 'armTimer':
        return this.deps.timer.schedule(effect.delayMs, () =>
          this.dispatch({ kind: 'timerFired' }),
        );
      case 'cancelTimer':
        return this.deps.timer.cancel();
      case 'settleCallers': {
        const { outcome } = effect;
        if ('token' in outcome) {
          ended?.settle(outcome);
          return this.waiting.resolveAll(outcome.token);
        }
        ended?.settle(outcome);
        return this.waiting.failAll(outcome.failure, outcome.nextAttemptInMs);
      }
      case 'log':
        return this.deps.logger[effect.level](effect.message);
      case 'report':
        return this.events.report(effect.event);
      case 'shareToken':
        void this.coordination?.share(effect.token);
        return;
      case 'shutDown':
        this.shutdown.abort();
        this.sharing?.close();
        this.deps.client.close();
        this.waiting.rejectAll(closedError());
        return ended?.settle({ failure: closedError() });
    }
  }

  private startAttempt(grant: GrantType, delayMs: number): void {
    const acquisition = new TokenAcquisition({
      client: this.deps.client,
      serverTokenCheck: this.deps.options.serverTokenCheck,
      storeConfigured: this.sharing !== undefined,
      logger: this.deps.logger,
      now: this.now,
      signal: this.shutdown.signal,
      view: this.view,
    });
    let settle!: RunningAttempt['settle'];
    const result = new Promise<HeldToken>((resolve, reject) => {
      settle = (outcome) => ('token' in outcome ? resolve(outcome.token) : reject(outcome.failure));
    });
    // Background requests have no caller awaiting them; their failures are logged by the transition.
    result.catch(() => undefined);
    this.running = { startsAtMs: this.now() + delayMs, result, settle, acquisition };
    void this.attempt(grant, delayMs, acquisition).then((event) => this.dispatch(event));
  }

  /** Runs one attempt to its end; never throws: the outcome is the event it returns. */
  private async attempt(
    grant: GrantType,
    delayMs: number,
    acquisition: TokenAcquisition,
  ): Promise<EngineEvent> {
    // The attempt's duration, for events, leaves out the spacing pause: it measures EnKash, not our politeness.
    let startedAtMs = this.now();
    try {
      await pause(delayMs, this.shutdown.signal);
      startedAtMs = this.now();
      const obtained =
        this.coordination === undefined
          ? await acquisition.fromEnkash(grant, { storeAnswered: false })
          : await this.coordination.obtain(grant, acquisition);
      const durationMs = this.now() - startedAtMs;
      return { kind: 'tokenObtained', obtained, durationMs, findings: acquisition.findings };
    } catch (error) {
      return {
        kind: 'attemptFailed',
        failure: asAuthError(error),
        grant,
        durationMs: this.now() - startedAtMs,
        findings: acquisition.findings,
      };
    }
  }

  /** How much longer new calls wait for the token another replica announced it is renewing; 0 when they need not. */
  private heldBackForMs(): number {
    const { state } = this;
    if (state.kind !== 'valid' || state.heldBackUntilMs === undefined) return 0;
    return state.heldBackUntilMs - this.now();
  }

  private onStoreNotice(notice: StoreNotice): void {
    if (notice === 'answersAgain') return this.dispatch({ kind: 'storeAnswersAgain' });
    // This instance's own announcement, or one heard during a request of its own: that request adopts the token.
    if (notice === 'renewalAnnounced') {
      if (this.running === null) this.dispatch({ kind: 'renewalAnnounced' });
      return;
    }
    // Another instance wrote a token: adopt it now rather than when this instance's own timer fires. A request under
    // way adopts whatever it finds (or gets from EnKash) itself.
    if (this.running !== null || this.coordination === undefined) return;
    const startedAtMs = this.now();
    void this.coordination.newerToken().then(({ obtained }) => {
      if (obtained === undefined) return;
      this.dispatch({ kind: 'storeTokenFound', obtained, durationMs: this.now() - startedAtMs });
    });
  }
}

function isAttempt(state: EngineState): boolean {
  return state.kind === 'acquiring' || state.kind === 'renewing';
}

/** Our errors as they are; anything else (a defect) as a network failure, retried like one. */
function asAuthError(error: unknown): EnkashAuthError {
  if (error instanceof EnkashAuthError) return error;
  return new EnkashAuthError(
    'network',
    unexpectedTokenFailure(error instanceof Error ? error.name : typeof error),
    {
      retryable: true,
    },
  );
}
