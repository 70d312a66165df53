import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type {
  InjectionToken,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Subject } from 'rxjs';
import type { Observable, Subscription } from 'rxjs';
import { duplicateRegistration } from './enkash-auth.messages.js';
import {
  ENKASH_REGISTRATION_AUTH_INJECTION_TOKEN,
  ENKASH_REGISTRATION_NAME,
  ENKASH_RESOLVED_OPTIONS,
  ENKASH_SHARED_STORE,
} from './enkash-auth.providers.js';
import { EnkashAuthError } from './errors/enkash-auth.error.js';
import { bridgeToEventEmitter } from './events/event-emitter-bridge.js';
import type { EnkashTokenEvent, TokenEngineEvent } from './events/enkash-token-event.interface.js';
import { loggerContextOf, renewalTimeoutNameOf } from './registration/registration-names.js';
import type { SharedStoreHandle } from './enkash-auth.providers.js';
import { tokenStoreKey } from './store/token-store-key.js';
import type { ResolvedEnkashAuthOptions } from './interfaces/enkash-auth-options.interface.js';
import type { EnkashTokenStatus } from './interfaces/enkash-token-status.interface.js';
import type { EnkashTokenWaitOptions } from './interfaces/enkash-token-wait-options.interface.js';
import { RenewalTimer } from './token/renewal-timer.js';
import { TokenHttpClient } from './token/token-http-client.js';
import { TokenEngine } from './token/token-engine.js';

/**
 * Holds the EnKash access token: fetches it with the password grant, caches it, shares one request among concurrent
 * callers, and renews it before expiry with the refresh grant on a `@nestjs/schedule` timeout. With a shared token
 * store (Redis), one replica renews and the others adopt its token.
 */
@Injectable()
export class EnkashAuthService
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  /**
   * The name of the registration this service belongs to: the `name` given to `forRoot`/`forRootAsync`, or
   * `'default'` for the unnamed one.
   */
  readonly registrationName: string;
  /**
   * Every token obtained (`acquired`, `renewed`), failed token request (`failed`) and token EnKash refused
   * (`invalidated`), with the registration, grant, duration, expiry and error code; never a token. Hot: a subscriber
   * sees the events after it subscribed. Completes when the application closes.
   *
   * An error thrown in your subscriber never reaches the token engine, but RxJS reports it as unhandled (rethrown
   * asynchronously unless rxjs's `config.onUnhandledError` is set), which ends a Node process: catch in the callback.
   */
  readonly events$: Observable<EnkashTokenEvent>;
  private readonly events = new Subject<EnkashTokenEvent>();
  private eventBridge: Subscription | undefined;
  private readonly logger: Logger;
  private readonly tokens: TokenEngine;
  private readonly acquireOnStartup: boolean;
  private storeClosed: Promise<void> | undefined;

  constructor(
    @Inject(ENKASH_RESOLVED_OPTIONS) options: ResolvedEnkashAuthOptions,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(ENKASH_REGISTRATION_NAME) registrationName: string,
    // Injected rather than computed with getEnkashAuthToken(), whose file imports this one.
    @Inject(ENKASH_REGISTRATION_AUTH_INJECTION_TOKEN)
    private readonly injectionToken: InjectionToken,
    // The host's registry when it imports ScheduleModule.forRoot(); a private one otherwise. Never forRoot() here:
    // a second forRoot() would run every cron job of the host twice.
    @Optional() schedulerRegistry?: SchedulerRegistry,
    @Optional()
    @Inject(ENKASH_SHARED_STORE)
    private readonly sharedStore?: SharedStoreHandle | null,
  ) {
    this.registrationName = registrationName;
    this.logger = new Logger(loggerContextOf(this.registrationName));
    this.acquireOnStartup = options.acquireOnStartup;
    this.events$ = this.events.asObservable();
    this.tokens = new TokenEngine({
      options,
      client: new TokenHttpClient(options),
      timer: new RenewalTimer(
        schedulerRegistry ?? new SchedulerRegistry(),
        renewalTimeoutNameOf(this.registrationName),
      ),
      logger: this.logger,
      onEvent: (event) => this.publish(event),
      ...(sharedStore
        ? {
            sharedStore: {
              store: sharedStore.store,
              key: tokenStoreKey(options),
              ...(sharedStore.operationTimeoutMs !== undefined
                ? { operationTimeoutMs: sharedStore.operationTimeoutMs }
                : {}),
            },
          }
        : {}),
    });
  }

  /**
   * The current valid access token; requests one when none is held. When a token request failed for a reason that
   * may pass, it waits for the next one if that starts within what is left of `options.waitMs` (default 5 s, spent
   * only between requests). Rejects with an `EnkashAuthError`, or with the reason of `options.signal` when it aborts.
   */
  getAccessToken(options?: EnkashTokenWaitOptions): Promise<string> {
    return this.tokens.getAccessToken(options);
  }

  /** `Bearer <token>`, ready for an `Authorization` header; waits as {@link getAccessToken} does. */
  async getAuthorizationHeader(options?: EnkashTokenWaitOptions): Promise<string> {
    return `Bearer ${await this.tokens.getAccessToken(options)}`;
  }

  /**
   * The held token if it is valid now and not being renewed, without waiting and without contacting EnKash;
   * `undefined` otherwise (then use {@link getAccessToken}). For hot paths that must not await.
   */
  getCachedAccessToken(): string | undefined {
    return this.tokens.readyToken();
  }

  /** Renews the token now. Also the explicit way to try again after EnKash rejected the credentials. */
  refresh(): Promise<void> {
    return this.tokens.refresh();
  }

  /**
   * Tells the service that EnKash refused `token` (a 401). Acts only if it is still the current token, so that many
   * concurrent 401s cause one re-acquisition.
   */
  invalidate(token: string): void {
    this.tokens.invalidate(token);
  }

  /** Where the token stands: state, expiry, next renewal or retry, tokens obtained, failures. Never a token or a secret. */
  getStatus(): EnkashTokenStatus {
    return this.tokens.getStatus();
  }

  /**
   * @internal Fails the boot when this registration's name is registered twice: two token engines for one EnKash
   * account would revoke each other's tokens, and injection by registration name would pick either. Then emits
   * {@link events$} through `@nestjs/event-emitter`, when the application uses it.
   */
  onModuleInit(): void {
    const sameName = this.moduleRef.get(this.injectionToken, {
      strict: false,
      each: true,
    });
    if (sameName.length > 1) {
      throw new EnkashAuthError('config', duplicateRegistration(this.registrationName));
    }
    this.eventBridge ??= bridgeToEventEmitter(this.events$, this.moduleRef, this.logger);
  }

  /** @internal Fetches the first token in the background: the app boots even when EnKash is unreachable. */
  onApplicationBootstrap(): void {
    if (this.acquireOnStartup) this.tokens.start();
  }

  /** @internal Clears the renewal timer, aborts the token request under way and closes the Redis connections. */
  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  /** @internal Same as {@link onModuleDestroy}, for hosts that only enable shutdown hooks. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Frozen: every subscriber and listener gets the same object, and none may change what the others see. */
  private publish(event: TokenEngineEvent): void {
    this.events.next(Object.freeze({ registration: this.registrationName, ...event }));
  }

  private close(): Promise<void> {
    this.tokens.close();
    this.events.complete();
    this.eventBridge?.unsubscribe();
    this.storeClosed ??= this.sharedStore?.close() ?? Promise.resolve();
    return this.storeClosed;
  }
}
