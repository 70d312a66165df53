import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import {
  EnkashAuthError,
  EnkashAuthModule,
  EnkashAuthService,
  EnkashHttpService,
  enkashConfig,
} from '../lib/index.js';
import type { EnkashAuthOptions } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { environmentFor, optionsFor } from './support/enkash-app.js';

describe('EnkashAuthModule registration', () => {
  let simulator: EnkashSimulator;
  let app: TestingModule | undefined;
  const savedEnvironment = { ...process.env };

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await simulator.close();
    process.env = { ...savedEnvironment };
  });

  async function tokenFrom(
    imports: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>,
  ) {
    app = await Test.createTestingModule({ imports }).compile();
    app.useLogger(false);
    await app.init();
    return app.get(EnkashAuthService).getAccessToken();
  }

  function setEnvironment(): void {
    Object.assign(process.env, environmentFor(simulator));
  }

  it('works with forRootAsync(enkashConfig.asProvider()) and the ENKASH_* variables', async () => {
    setEnvironment();
    const token = await tokenFrom([
      ConfigModule.forRoot({ ignoreEnvFile: true }),
      EnkashAuthModule.forRootAsync(enkashConfig.asProvider()),
    ]);
    expect(token).toBe(simulator.currentAccessToken);
    expect(simulator.stats.passwordGrants).toBe(1);
  });

  it('refuses to boot with a clear error naming each missing or invalid variable', async () => {
    setEnvironment();
    process.env.ENKASH_CLIENT_SECRET = '   ';
    process.env.ENKASH_BASE_URL = 'http://ekpayout-uat.enkash.in';
    process.env.ENKASH_TOKEN_TIMEOUT_MS = '-5';
    const booting = tokenFrom([
      ConfigModule.forRoot({ ignoreEnvFile: true }),
      EnkashAuthModule.forRootAsync(enkashConfig.asProvider()),
    ]);
    const error = await booting.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnkashAuthError);
    expect(error).toMatchObject({ code: 'config', retryable: false });
    const { message } = error as EnkashAuthError;
    expect(message).toContain('ENKASH_CLIENT_SECRET is required');
    expect(message).toContain('ENKASH_BASE_URL must use https://');
    expect(message).toContain('ENKASH_TOKEN_TIMEOUT_MS must be a positive whole number');
    expect(message).not.toContain(simulator.options.password);
    expect(simulator.stats.tokenRequests).toBe(0);
  });

  it('refuses to boot with forRoot options that are invalid, naming each option key', async () => {
    const booting = tokenFrom([
      EnkashAuthModule.forRoot({
        ...optionsFor(simulator),
        baseUrl: simulator.url.replace('127.0.0.1', 'enkash.example'),
        password: ` ${simulator.options.password}`,
        requestTimeoutMs: 1.5,
      }),
    ]);
    const error = await booting.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnkashAuthError);
    expect(error).toMatchObject({ code: 'config', retryable: false });
    const { message } = error as EnkashAuthError;
    expect(message).toContain('baseUrl must use https://');
    expect(message).toContain('password has leading or trailing whitespace: remove it');
    expect(message).toContain('requestTimeoutMs must be a positive whole number');
    expect(message).not.toContain('ENKASH_');
    expect(message).not.toContain(simulator.options.password);
    expect(simulator.stats.tokenRequests).toBe(0);
  });

  it('works with forRootAsync({ imports, inject, useFactory })', async () => {
    const token = await tokenFrom([
      EnkashAuthModule.forRootAsync({
        imports: [
          ConfigModule.forRoot({
            ignoreEnvFile: true,
            load: [() => ({ enkashUrl: simulator.url })],
          }),
        ],
        inject: [ConfigService],
        useFactory: (config: ConfigService): EnkashAuthOptions => ({
          ...optionsFor(simulator),
          baseUrl: config.getOrThrow<string>('enkashUrl'),
        }),
      }),
    ]);
    expect(token).toBe(simulator.currentAccessToken);
  });

  it('works with forRootAsync({ useClass })', async () => {
    @Injectable()
    class EnkashOptionsFactory {
      create(): EnkashAuthOptions {
        return optionsFor(simulator);
      }
    }
    const token = await tokenFrom([
      EnkashAuthModule.forRootAsync({ useClass: EnkashOptionsFactory }),
    ]);
    expect(token).toBe(simulator.currentAccessToken);
  });

  it('works with forRootAsync({ useExisting }) and isGlobal, for the service and the HTTP client', async () => {
    @Injectable()
    class SharedOptions {
      create(): EnkashAuthOptions {
        return optionsFor(simulator);
      }
    }
    @Module({ providers: [SharedOptions], exports: [SharedOptions] })
    class SharedOptionsModule {}

    @Injectable()
    class PayoutsClient {
      constructor(
        readonly auth: EnkashAuthService,
        readonly http: EnkashHttpService,
      ) {}
    }
    @Module({ providers: [PayoutsClient] })
    class PayoutsModule {}

    app = await Test.createTestingModule({
      imports: [
        EnkashAuthModule.forRootAsync({
          imports: [SharedOptionsModule],
          useExisting: SharedOptions,
          isGlobal: true,
        }),
        PayoutsModule,
      ],
    }).compile();
    app.useLogger(false);
    await app.init();
    const client = app.get(PayoutsClient);
    const token = await client.auth.getAccessToken();
    expect(token).toBe(simulator.currentAccessToken);
    const response = await client.http.axiosRef.get('/api/v0/payout-account/balance');
    expect(response.status).toBe(200);
    expect(simulator.resourceCalls[0]?.authorization).toBe(`Bearer ${token}`);
  });
});
