import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, UseInterceptors } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import {
  EnkashAuthError,
  EnkashAuthInterceptor,
  EnkashAuthModule,
  EnkashAuthService,
  EnkashHttpService,
  EnkashToken,
  ENKASH_TOKEN_RENEWAL_TIMEOUT,
  enkashConfig,
  enkashConfigFor,
  getEnkashAuthToken,
  getEnkashHttpToken,
  InjectEnkashAuth,
  InjectEnkashHttp,
  UseEnkashRegistration,
} from '../lib/index.js';
import type { EnkashAuthOptions } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { environmentFor, optionsFor } from './support/enkash-app.js';
import { until } from './support/waiting.js';

const BALANCE = '/api/v0/payout-account/balance';
const CARDS_TIMEOUT = 'enkash-auth:cards:token-renewal';

/** A payouts account and a cards partner account: different credentials on different EnKash servers. */
async function startTwoAccounts(): Promise<{ payouts: EnkashSimulator; cards: EnkashSimulator }> {
  const payouts = await startEnkashSimulator({
    clientId: 'payouts-client',
    clientSecret: 'payouts-secret',
    username: 'payouts@example.com',
    password: 'payouts-pass',
  });
  const cards = await startEnkashSimulator({
    clientId: 'cards-client',
    clientSecret: 'cards-secret',
    username: 'cards@example.com',
    password: 'cards-pass',
  });
  return { payouts, cards };
}

/** Injects both registrations the ways an application would. */
@Injectable()
class BothAccounts {
  constructor(
    readonly defaultAuth: EnkashAuthService,
    readonly defaultHttp: EnkashHttpService,
    @InjectEnkashAuth() readonly defaultAuthByDecorator: EnkashAuthService,
    @InjectEnkashAuth('cards') readonly cardsAuth: EnkashAuthService,
    @InjectEnkashHttp('cards') readonly cardsHttp: EnkashHttpService,
  ) {}
}

@UseInterceptors(EnkashAuthInterceptor)
@Controller('payouts')
class PayoutsController {
  @Get('token')
  token(@EnkashToken() token: string): { token: string } {
    return { token };
  }

  @UseEnkashRegistration('cards')
  @Get('cards-token')
  cardsToken(@EnkashToken() token: string): { token: string } {
    return { token };
  }

  @UseEnkashRegistration('crads')
  @Get('misspelt')
  misspelt(): string {
    return 'never';
  }
}

@UseEnkashRegistration('cards')
@UseInterceptors(EnkashAuthInterceptor)
@Controller('cards')
class CardsController {
  @Get('token')
  token(@EnkashToken() token: string): { token: string } {
    return { token };
  }

  @UseEnkashRegistration('default')
  @Get('payouts-token')
  payoutsToken(@EnkashToken() token: string): { token: string } {
    return { token };
  }
}

describe('two EnKash registrations in one application', () => {
  let payouts: EnkashSimulator;
  let cards: EnkashSimulator;
  let app: TestingModule | INestApplication | undefined;

  beforeEach(async () => {
    ({ payouts, cards } = await startTwoAccounts());
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await payouts.close();
    await cards.close();
  });

  async function boot(
    payoutsOptions: Partial<EnkashAuthOptions> = {},
    cardsOptions: Partial<EnkashAuthOptions> = {},
  ): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        EnkashAuthModule.forRoot(optionsFor(payouts, payoutsOptions)),
        EnkashAuthModule.forRoot({ name: 'cards', ...optionsFor(cards, cardsOptions) }),
      ],
      providers: [BothAccounts],
    }).compile();
    moduleRef.useLogger(false);
    await moduleRef.init();
    app = moduleRef;
    return moduleRef;
  }

  it('injects each registration by name, and the unnamed one under the classes', async () => {
    const moduleRef = await boot();
    const both = moduleRef.get(BothAccounts);

    expect(both.defaultAuth.registrationName).toBe('default');
    expect(both.defaultAuthByDecorator).toBe(both.defaultAuth);
    expect(both.cardsAuth.registrationName).toBe('cards');
    expect(both.cardsAuth).not.toBe(both.defaultAuth);
    expect(both.cardsHttp).not.toBe(both.defaultHttp);
    expect(moduleRef.get(getEnkashAuthToken('cards'))).toBe(both.cardsAuth);
    expect(moduleRef.get(getEnkashHttpToken('cards'))).toBe(both.cardsHttp);
    expect(moduleRef.get(getEnkashAuthToken())).toBe(both.defaultAuth);
    expect(moduleRef.get(getEnkashHttpToken('default'))).toBe(both.defaultHttp);
  });

  it('asks each EnKash for its own token with its own credentials, and never shares a token', async () => {
    const both = (await boot()).get(BothAccounts);

    const [payoutsToken, cardsToken] = await Promise.all([
      both.defaultAuth.getAccessToken(),
      both.cardsAuth.getAccessToken(),
    ]);

    expect(payoutsToken).toBe(payouts.currentAccessToken);
    expect(cardsToken).toBe(cards.currentAccessToken);
    expect(payoutsToken).not.toBe(cardsToken);
    expect(payouts.tokenRequests.map((r) => r.form.username)).toEqual(['payouts@example.com']);
    expect(cards.tokenRequests.map((r) => r.form.username)).toEqual(['cards@example.com']);
  });

  it("sends each registration's calls to its own EnKash with its own token, on its own axios instance", async () => {
    const both = (await boot()).get(BothAccounts);

    await firstValueFrom(both.defaultHttp.get(BALANCE));
    await firstValueFrom(both.cardsHttp.get(BALANCE));
    await both.cardsHttp.axiosRef.get(BALANCE);

    expect(both.cardsHttp.axiosRef).not.toBe(both.defaultHttp.axiosRef);
    expect(payouts.resourceCalls.map((call) => call.authorization)).toEqual([
      `Bearer ${payouts.currentAccessToken}`,
    ]);
    expect(cards.resourceCalls.map((call) => call.authorization)).toEqual([
      `Bearer ${cards.currentAccessToken}`,
      `Bearer ${cards.currentAccessToken}`,
    ]);
  });

  it('keeps a renewal timer per registration, and renews one account without touching the other', async () => {
    cards.setTokenLifetime(3);
    const moduleRef = await boot({}, { refreshBeforeExpirySeconds: 1 });
    const both = moduleRef.get(BothAccounts);
    await both.defaultAuth.getAccessToken();
    const firstCardsToken = await both.cardsAuth.getAccessToken();

    expect(moduleRef.get(SchedulerRegistry).getTimeouts().sort()).toEqual(
      [CARDS_TIMEOUT, ENKASH_TOKEN_RENEWAL_TIMEOUT].sort(),
    );
    await until(
      () => both.cardsAuth.getStatus().tokensObtained === 2,
      5_000,
      'the cards token renewed',
    );

    expect(cards.stats.refreshGrants).toBe(1);
    expect(both.cardsAuth.getCachedAccessToken()).toBe(cards.currentAccessToken);
    expect(cards.currentAccessToken).not.toBe(firstCardsToken);
    expect(payouts.stats.refreshGrants).toBe(0);
    expect(payouts.tokenRequests).toHaveLength(1);
    expect(both.defaultAuth.getCachedAccessToken()).toBe(payouts.currentAccessToken);
  });

  it("drops only the refused registration's token after a 401", async () => {
    const both = (await boot()).get(BothAccounts);
    await both.defaultAuth.getAccessToken();
    const cardsToken = await both.cardsAuth.getAccessToken();
    cards.revokeAccessToken();

    await firstValueFrom(both.cardsHttp.get(BALANCE));

    expect(both.cardsAuth.getCachedAccessToken()).toBe(cards.currentAccessToken);
    expect(cards.currentAccessToken).not.toBe(cardsToken);
    expect(cards.stats.passwordGrants).toBe(2);
    expect(payouts.tokenRequests).toHaveLength(1);
    expect(both.defaultAuth.getStatus().state).toBe('valid');
  });

  it("clears both registrations' timers when the application closes", async () => {
    const moduleRef = await boot();
    const both = moduleRef.get(BothAccounts);
    await Promise.all([both.defaultAuth.getAccessToken(), both.cardsAuth.getAccessToken()]);
    const registry = moduleRef.get(SchedulerRegistry);
    expect(registry.getTimeouts()).toHaveLength(2);

    await moduleRef.close();
    app = undefined;

    expect(registry.getTimeouts()).toEqual([]);
    expect(both.defaultAuth.getStatus().state).toBe('closed');
    expect(both.cardsAuth.getStatus().state).toBe('closed');
  });

  it('gives a route the token of the registration @UseEnkashRegistration names, the unnamed one otherwise', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EnkashAuthModule.forRoot(optionsFor(payouts)),
        EnkashAuthModule.forRoot({ name: 'cards', ...optionsFor(cards) }),
      ],
      controllers: [PayoutsController, CardsController],
    }).compile();
    const http = moduleRef.createNestApplication({ logger: false });
    await http.init();
    app = http;

    const payoutsAnswer = await request(http.getHttpServer()).get('/payouts/token').expect(200);
    const routeAnswer = await request(http.getHttpServer()).get('/payouts/cards-token').expect(200);
    const cardsAnswer = await request(http.getHttpServer()).get('/cards/token').expect(200);
    const overridden = await request(http.getHttpServer()).get('/cards/payouts-token').expect(200);

    expect(payoutsAnswer.body).toEqual({ token: payouts.currentAccessToken });
    expect(routeAnswer.body).toEqual({ token: cards.currentAccessToken });
    expect(cardsAnswer.body).toEqual({ token: cards.currentAccessToken });
    // The route's decorator wins over its controller's.
    expect(overridden.body).toEqual({ token: payouts.currentAccessToken });
    // A name no registration has: a programming error, never a handler run without a token.
    await request(http.getHttpServer()).get('/payouts/misspelt').expect(500);
    expect(payouts.tokenRequests).toHaveLength(1);
    expect(cards.tokenRequests).toHaveLength(1);
  });

  it('reads a named registration from its own prefixed variables through @nestjs/config', async () => {
    const saved = { ...process.env };
    const cardsEnvironment = Object.fromEntries(
      Object.entries(environmentFor(cards)).map(([name, value]) => [
        name.replace(/^ENKASH_/, 'ENKASH_CARDS_'),
        value,
      ]),
    );
    Object.assign(process.env, environmentFor(payouts), cardsEnvironment);
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [
          ConfigModule.forRoot({ ignoreEnvFile: true }),
          EnkashAuthModule.forRootAsync(enkashConfig.asProvider()),
          EnkashAuthModule.forRootAsync({
            name: 'cards',
            ...enkashConfigFor('cards').asProvider(),
          }),
        ],
        providers: [BothAccounts],
      }).compile();
      moduleRef.useLogger(false);
      await moduleRef.init();
      app = moduleRef;
      const both = moduleRef.get(BothAccounts);

      await Promise.all([both.defaultAuth.getAccessToken(), both.cardsAuth.getAccessToken()]);

      expect(payouts.tokenRequests.map((r) => r.form.username)).toEqual(['payouts@example.com']);
      expect(cards.tokenRequests.map((r) => r.form.username)).toEqual(['cards@example.com']);
    } finally {
      process.env = saved;
    }
  });

  it('fails the boot, naming it, when one name is registered twice', async () => {
    const booting = Test.createTestingModule({
      imports: [
        EnkashAuthModule.forRoot({ name: 'cards', ...optionsFor(cards) }),
        EnkashAuthModule.forRoot({ name: 'cards', ...optionsFor(payouts) }),
      ],
    })
      .compile()
      .then(async (moduleRef) => {
        moduleRef.useLogger(false);
        app = moduleRef;
        await moduleRef.init();
      });

    await expect(booting).rejects.toThrow(EnkashAuthError);
    await expect(booting).rejects.toThrow(/"cards" is registered more than once/);
  });

  it('fails the boot when two feature modules each register the unnamed account themselves', async () => {
    // Each forRoot() call is a registration of its own (Nest never merges them): the cure is one global or shared one.
    const payoutsRegistration = (): ReturnType<typeof EnkashAuthModule.forRoot> =>
      EnkashAuthModule.forRoot(optionsFor(payouts));
    @Module({ imports: [payoutsRegistration()] })
    class FirstFeature {}
    @Module({ imports: [payoutsRegistration()] })
    class SecondFeature {}
    const moduleRef = await Test.createTestingModule({
      imports: [FirstFeature, SecondFeature],
    }).compile();
    moduleRef.useLogger(false);
    app = moduleRef;

    await expect(moduleRef.init()).rejects.toThrow(/"default" is registered more than once/);
  });

  it('refuses a name that could not be an environment variable prefix', () => {
    // Cards and my_cards would read the variables of cards and my-cards: one account, logged in to twice.
    for (const name of [
      '',
      'two words',
      '-cards',
      'cards-',
      'cärds',
      'Cards',
      'my_cards',
      'my--cards',
    ]) {
      expect(() => EnkashAuthModule.forRoot({ name, ...optionsFor(cards) })).toThrow(
        /Invalid EnKash registration name/,
      );
    }
  });
});

@Module({
  imports: [
    EnkashAuthModule.forRoot({
      name: 'cards',
      baseUrl: 'http://127.0.0.1:1',
      clientId: 'c',
      clientSecret: 's',
      username: 'u',
      password: 'p',
      acquireOnStartup: false,
    }),
  ],
})
class OnlyCardsModule {}

describe('an application with named registrations only', () => {
  it('has no unnamed EnkashAuthService to inject', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [OnlyCardsModule] }).compile();
    moduleRef.useLogger(false);
    try {
      expect(() => moduleRef.get(EnkashAuthService)).toThrow();
      expect(moduleRef.get<EnkashAuthService>(getEnkashAuthToken('cards')).registrationName).toBe(
        'cards',
      );
    } finally {
      await moduleRef.close();
    }
  });
});
