import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import type { OnModuleInit, Provider } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { config as rxjsConfig, firstValueFrom } from 'rxjs';
import {
  ENKASH_TOKEN_EVENTS,
  EnkashAuthModule,
  EnkashAuthService,
  EnkashHttpService,
  InMemoryTokenStore,
  getEnkashAuthToken,
} from '../lib/index.js';
import type { EnkashAuthOptions, EnkashTokenEvent } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { optionsFor } from './support/enkash-app.js';
import { SecretWatch, secretsOfSimulator } from './support/secret-watch.js';
import { until } from './support/waiting.js';

/** Collects what `@OnEvent()` hands over, by event name. */
@Injectable()
class TokenEventListener {
  readonly received: Array<{ name: string; event: EnkashTokenEvent }> = [];

  @OnEvent(ENKASH_TOKEN_EVENTS.acquired)
  onAcquired(event: EnkashTokenEvent): void {
    this.received.push({ name: ENKASH_TOKEN_EVENTS.acquired, event });
  }

  @OnEvent(ENKASH_TOKEN_EVENTS.renewed)
  onRenewed(event: EnkashTokenEvent): void {
    this.received.push({ name: ENKASH_TOKEN_EVENTS.renewed, event });
  }

  @OnEvent(ENKASH_TOKEN_EVENTS.failed)
  onFailed(event: EnkashTokenEvent): void {
    this.received.push({ name: ENKASH_TOKEN_EVENTS.failed, event });
  }

  @OnEvent(ENKASH_TOKEN_EVENTS.invalidated)
  onInvalidated(event: EnkashTokenEvent): void {
    this.received.push({ name: ENKASH_TOKEN_EVENTS.invalidated, event });
  }
}

/** Gets a token while the application initialises, before the event emitter has registered its listeners. */
@Injectable()
class TokenAtModuleInit implements OnModuleInit {
  constructor(private readonly auth: EnkashAuthService) {}

  async onModuleInit(): Promise<void> {
    await this.auth.getAccessToken();
  }
}

async function resourceStatus(simulator: EnkashSimulator, token: string): Promise<number> {
  const response = await fetch(`${simulator.url}/api/v1/payouts/balance`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  await response.arrayBuffer();
  return response.status;
}

describe('EnkashAuthService.events$ against the EnKash simulator', () => {
  let simulator: EnkashSimulator;
  let app: TestingModule | undefined;
  /** Every event any test saw: none may hold a token, a refresh token or a credential. */
  let seen: EnkashTokenEvent[];

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
    seen = [];
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await simulator.close();
    const text = JSON.stringify(seen);
    const leaks = secretsOfSimulator(simulator)
      .filter(({ value }) => value !== '' && text.includes(value))
      .map(({ name }) => name);
    expect(leaks).toEqual([]);
  });

  async function boot(
    overrides: Partial<EnkashAuthOptions> & { name?: string } = {},
    {
      imports = [],
      providers = [],
      logger = false,
    }: {
      imports?: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>;
      providers?: Provider[];
      logger?: SecretWatch | false;
    } = {},
  ): Promise<TestingModule> {
    app = await Test.createTestingModule({
      imports: [...imports, EnkashAuthModule.forRoot(optionsFor(simulator, overrides))],
      providers,
    }).compile();
    app.useLogger(logger);
    await app.init();
    return app;
  }

  /** The events `auth` emits from now on. */
  function record(auth: EnkashAuthService): EnkashTokenEvent[] {
    const events: EnkashTokenEvent[] = [];
    auth.events$.subscribe((event) => {
      events.push(event);
      seen.push(event);
    });
    return events;
  }

  async function bootAndRecord(
    overrides: Partial<EnkashAuthOptions> = {},
  ): Promise<{ auth: EnkashAuthService; events: EnkashTokenEvent[] }> {
    const auth = (await boot(overrides)).get(EnkashAuthService);
    return { auth, events: record(auth) };
  }

  const typesOf = (events: readonly EnkashTokenEvent[]): string[] =>
    events.map((event) => event.type);

  describe('acquired', () => {
    it('reports the first token with the password grant, the duration of its request and its expiry', async () => {
      simulator.injectFault({ kind: 'delay', ms: 100 });
      const { auth, events } = await bootAndRecord();
      await auth.getAccessToken();

      expect(events).toEqual([
        {
          registration: 'default',
          type: 'acquired',
          grant: 'password',
          durationMs: expect.any(Number),
          expiresAt: auth.getStatus().expiresAt,
          errorCode: null,
          at: expect.any(Date),
        },
      ]);
      const [acquired] = events;
      expect(acquired?.durationMs).toBeGreaterThanOrEqual(95);
      expect(acquired?.durationMs).toBeLessThan(1_000);
      expect(Object.isFrozen(acquired)).toBe(true);
    });

    it('carries the name of a named registration', async () => {
      const cards = (await boot({ name: 'cards' })).get<EnkashAuthService>(
        getEnkashAuthToken('cards'),
      );
      const events = record(cards);
      await cards.getAccessToken();
      expect(events).toEqual([
        expect.objectContaining({ registration: 'cards', type: 'acquired', grant: 'password' }),
      ]);
    });
  });

  describe('renewed', () => {
    it('reports the scheduled refresh grant, with an expiry later than the token it replaced', async () => {
      simulator.setTokenLifetime(2);
      const { auth, events } = await bootAndRecord();
      await auth.getAccessToken();
      // The renewal is due from 0.5 to 1 s into the token's life.
      await until(() => events.length >= 2, 2_500, 'the renewal');

      const [acquired, renewed] = events;
      expect(renewed).toEqual({
        registration: 'default',
        type: 'renewed',
        grant: 'refresh_token',
        durationMs: expect.any(Number),
        expiresAt: auth.getStatus().expiresAt,
        errorCode: null,
        at: expect.any(Date),
      });
      expect(renewed?.expiresAt?.getTime()).toBeGreaterThan(
        acquired?.expiresAt?.getTime() ?? Infinity,
      );
      expect(simulator.stats.refreshGrants).toBe(1);
    });

    it('reports refresh() while the token is valid', async () => {
      const { auth, events } = await bootAndRecord();
      await auth.getAccessToken();
      await auth.refresh();
      expect(typesOf(events)).toEqual(['acquired', 'renewed']);
      expect(events[1]).toMatchObject({ grant: 'refresh_token' });
    });

    it("reports a newer token adopted from the shared store with grant 'store'", async () => {
      simulator.setTokenLifetime(2);
      const tokenStore = new InMemoryTokenStore();
      const first = (await boot({ tokenStore })).get(EnkashAuthService);
      const firstApp = app;
      const firstEvents = record(first);
      try {
        const second = (await boot({ tokenStore })).get(EnkashAuthService);
        const secondEvents = record(second);
        await first.getAccessToken();
        await second.getAccessToken();
        // One of them renews under the store's lock; the other adopts its token, still holding a valid one.
        const adopted = (): EnkashTokenEvent | undefined =>
          [...firstEvents, ...secondEvents].find(
            (event) => event.type === 'renewed' && event.grant === 'store',
          );
        await until(() => adopted() !== undefined, 2_500, 'a renewal adopted from the store');
        expect(adopted()).toMatchObject({ errorCode: null, durationMs: expect.any(Number) });
        expect(simulator.stats.refreshGrants).toBe(1);
      } finally {
        await firstApp?.close();
      }
    });
  });

  describe('failed', () => {
    it('reports a 5xx with server_error and the grant that failed, then the retry as acquired', async () => {
      simulator.injectFault({ kind: 'server-error' });
      const { auth, events } = await bootAndRecord();
      await expect(auth.getAccessToken({ waitMs: 0 })).rejects.toMatchObject({
        code: 'server_error',
      });

      expect(events).toEqual([
        {
          registration: 'default',
          type: 'failed',
          grant: 'password',
          durationMs: expect.any(Number),
          expiresAt: null,
          errorCode: 'server_error',
          at: expect.any(Date),
        },
      ]);
      // The background retry comes within about a second.
      await until(() => events.length >= 2, 1_500, 'the retry');
      expect(events[1]).toMatchObject({ type: 'acquired', grant: 'password' });
    });

    it('reports a failed renewal with the expiry of the token still in use', async () => {
      simulator.setTokenLifetime(2);
      simulator.injectFault({ kind: 'server-error' }, { grant: 'refresh_token' });
      const { auth, events } = await bootAndRecord();
      await auth.getAccessToken();
      await until(() => events.length >= 2, 2_500, 'the failed renewal');

      const [acquired, failed] = events;
      expect(failed).toMatchObject({
        type: 'failed',
        grant: 'refresh_token',
        errorCode: 'server_error',
        expiresAt: acquired?.expiresAt,
      });
    });

    it('reports bad credentials with invalid_credentials and the password grant', async () => {
      const options = optionsFor(simulator);
      simulator.setCredentials({ password: 'the-new-password' });
      const { auth, events } = await bootAndRecord({ password: options.password });
      await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'invalid_credentials' });
      // Locked out: later calls reject without a token request, and report nothing.
      await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'invalid_credentials' });

      expect(events).toEqual([
        expect.objectContaining({
          type: 'failed',
          grant: 'password',
          errorCode: 'invalid_credentials',
          expiresAt: null,
        }),
      ]);
      expect(JSON.stringify(events)).not.toContain('the-new-password');
    });
  });

  describe('invalidated', () => {
    it('reports the token invalidate() dropped, then the next one as acquired without the spacing pause in its duration', async () => {
      const { auth, events } = await bootAndRecord();
      const refused = await auth.getAccessToken();
      auth.invalidate('a token that is not the held one');
      expect(events).toHaveLength(1);

      simulator.expireAccessToken(); // EnKash dropped it: the password grant brings a new one
      auth.invalidate(refused);
      expect(events[1]).toEqual({
        registration: 'default',
        type: 'invalidated',
        grant: 'password',
        durationMs: null,
        expiresAt: events[0]?.expiresAt,
        errorCode: null,
        at: expect.any(Date),
      });

      // The re-acquisition waits until a second after the previous token request.
      const next = await auth.getAccessToken();
      expect(next).not.toBe(refused);
      expect(events[2]).toMatchObject({ type: 'acquired', grant: 'password' });
      expect(events[2]?.durationMs).toBeLessThan(500);
      expect(events).toHaveLength(3);
    });

    it('reports the token EnKash refused to a call through EnkashHttpService', async () => {
      const booted = await boot();
      const events = record(booted.get(EnkashAuthService));
      const http = booted.get(EnkashHttpService);
      await firstValueFrom(http.get('/api/v1/payouts/balance'));
      simulator.revokeAccessToken();

      const answer = await firstValueFrom(http.get('/api/v1/payouts/balance'));
      expect(answer.status).toBe(200);
      expect(typesOf(events)).toEqual(['acquired', 'invalidated', 'acquired']);
      expect(simulator.stats.resourceUnauthorized).toBe(1);
    });
  });

  describe('through @nestjs/event-emitter', () => {
    it('emits every event under its name, the same object as events$, to @OnEvent listeners', async () => {
      simulator.setTokenLifetime(2);
      const booted = await boot(
        {},
        { imports: [EventEmitterModule.forRoot()], providers: [TokenEventListener] },
      );
      const auth = booted.get(EnkashAuthService);
      const listener = booted.get(TokenEventListener);
      const events = record(auth);

      await auth.getAccessToken();
      await until(() => events.length >= 2, 2_500, 'the renewal');
      simulator.injectFault({ kind: 'server-error' }, { grant: 'password' });
      auth.invalidate(await auth.getAccessToken());
      await until(() => events.length >= 4, 1_500, 'the failed re-acquisition');
      await until(() => listener.received.length >= 4, 500, 'the listeners');

      expect(typesOf(events).slice(0, 4)).toEqual(['acquired', 'renewed', 'invalidated', 'failed']);
      expect(listener.received.slice(0, 4)).toEqual(
        events.slice(0, 4).map((event) => ({ name: ENKASH_TOKEN_EVENTS[event.type], event })),
      );
      listener.received.forEach(({ event }, index) => expect(event).toBe(events[index]));
    });

    it('holds back a token obtained while the application initialises until the listeners are registered', async () => {
      const booted = await boot(
        {},
        {
          imports: [EventEmitterModule.forRoot()],
          providers: [TokenEventListener, TokenAtModuleInit],
        },
      );
      const listener = booted.get(TokenEventListener);
      await until(() => listener.received.length >= 1, 500, 'the acquired event');
      expect(listener.received).toEqual([
        {
          name: ENKASH_TOKEN_EVENTS.acquired,
          event: expect.objectContaining({ type: 'acquired', grant: 'password' }),
        },
      ]);
    });

    it('logs a listener that throws, without its message, and renews all the same', async () => {
      simulator.setTokenLifetime(2);
      const watch = new SecretWatch();
      const booted = await boot({}, { imports: [EventEmitterModule.forRoot()], logger: watch });
      const auth = booted.get(EnkashAuthService);
      const events = record(auth);
      booted.get(EventEmitter2).on(ENKASH_TOKEN_EVENTS.renewed, (event: EnkashTokenEvent) => {
        throw new Error(`listener failed with ${auth.getCachedAccessToken()} at ${event.type}`);
      });

      await auth.getAccessToken();
      // Each renewal comes 0.5 to 1 s into the life of the token before it.
      await until(() => auth.getStatus().tokensObtained >= 3, 4_000, 'two renewals');
      await until(
        () => watch.linesAt('warn').filter((line) => line.includes('threw')).length >= 2,
        500,
        'the warnings',
      );

      expect(typesOf(events)).toEqual(['acquired', 'renewed', 'renewed']);
      expect(watch.linesAt('warn')).toContainEqual(
        expect.stringContaining(
          'A listener of the EnKash token event enkash.token.renewed threw Error; ignored, the token engine ' +
            'carries on.',
        ),
      );
      expect(watch.leaks(secretsOfSimulator(simulator))).toEqual([]);
    });
  });

  it('renews all the same when a subscriber of events$ throws, which RxJS reports as unhandled', async () => {
    simulator.setTokenLifetime(2);
    const reported: unknown[] = [];
    const { onUnhandledError } = rxjsConfig;
    rxjsConfig.onUnhandledError = (error) => reported.push(error);
    try {
      const { auth, events } = await bootAndRecord();
      auth.events$.subscribe(() => {
        throw new Error('a subscriber bug');
      });
      await auth.getAccessToken();
      await until(() => auth.getStatus().tokensObtained >= 3, 4_000, 'two renewals');
      await until(() => reported.length >= 3, 500, "RxJS's reports");

      expect(typesOf(events)).toEqual(['acquired', 'renewed', 'renewed']);
      expect(reported).toEqual([
        new Error('a subscriber bug'),
        new Error('a subscriber bug'),
        new Error('a subscriber bug'),
      ]);
      expect(await resourceStatus(simulator, await auth.getAccessToken())).toBe(200);
    } finally {
      rxjsConfig.onUnhandledError = onUnhandledError;
    }
  });

  it('completes events$ when the application closes', async () => {
    const { auth, events } = await bootAndRecord();
    let completed = false;
    auth.events$.subscribe({ complete: () => (completed = true) });
    await auth.getAccessToken();

    await app?.close();
    app = undefined;
    expect(completed).toBe(true);
    await expect(auth.getAccessToken()).rejects.toThrow(/shutting down/);
    expect(typesOf(events)).toEqual(['acquired']);
  });
});
