import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { EnkashAuthModule, EnkashAuthService, InjectEnkashAuth } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { optionsFor } from './support/enkash-app.js';
import { countEnkashTokenEvents } from './support/enkash-token-metrics.js';
import { until } from './support/waiting.js';

/** An application with two EnKash accounts, injected as a user would. */
@Injectable()
class Accounts {
  constructor(
    readonly payouts: EnkashAuthService,
    @InjectEnkashAuth('cards') readonly cards: EnkashAuthService,
  ) {}
}

/** The samples of `name` in `registry`'s text exposition, without comments. */
async function samples(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe("the README's prom-client example", () => {
  let simulator: EnkashSimulator;
  let app: TestingModule | undefined;
  let registry: Registry;

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
    registry = new Registry();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await simulator.close();
  });

  it('is the code this suite runs', () => {
    const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
    const example = readFileSync(
      join(process.cwd(), 'test/support/enkash-token-metrics.ts'),
      'utf8',
    ).replace("from '../../lib/index.js'", "from 'nestjs-enkash-auth'");
    expect(readme).toContain('```ts\n' + example + '```\n');
  });

  it('counts failures, acquisitions and renewals by type, grant and error code, and times them', async () => {
    simulator.setTokenLifetime(2);
    simulator.injectFault({ kind: 'server-error' });
    app = await Test.createTestingModule({
      imports: [EnkashAuthModule.forRoot(optionsFor(simulator))],
    }).compile();
    app.useLogger(false);
    await app.init();
    const auth = app.get(EnkashAuthService);
    countEnkashTokenEvents(registry, auth);

    await expect(auth.getAccessToken({ waitMs: 0 })).rejects.toMatchObject({
      code: 'server_error',
    });
    // The background retry within about a second, then the renewal 0.5 to 1 s into the token's life.
    await until(() => auth.getStatus().tokensObtained >= 2, 3_000, 'the retry and the renewal');
    await app.close();
    app = undefined;

    expect(await samples(registry, 'enkash_token_events_total')).toEqual([
      'enkash_token_events_total{registration="default",type="failed",grant="password",error_code="server_error"} 1',
      'enkash_token_events_total{registration="default",type="acquired",grant="password",error_code=""} 1',
      'enkash_token_events_total{registration="default",type="renewed",grant="refresh_token",error_code=""} 1',
    ]);
    expect(await samples(registry, 'enkash_token_request_duration_seconds_count')).toEqual([
      'enkash_token_request_duration_seconds_count{registration="default",type="failed"} 1',
      'enkash_token_request_duration_seconds_count{registration="default",type="acquired"} 1',
      'enkash_token_request_duration_seconds_count{registration="default",type="renewed"} 1',
    ]);
  });

  it('tells registrations apart, and counts a refused token', async () => {
    const cardsSimulator = await startEnkashSimulator();
    try {
      app = await Test.createTestingModule({
        imports: [
          EnkashAuthModule.forRoot(optionsFor(simulator)),
          EnkashAuthModule.forRoot({ name: 'cards', ...optionsFor(cardsSimulator) }),
        ],
        providers: [Accounts],
      }).compile();
      app.useLogger(false);
      await app.init();
      const { payouts, cards } = app.get(Accounts);
      countEnkashTokenEvents(registry, payouts, cards);

      await payouts.getAccessToken();
      cards.invalidate(await cards.getAccessToken());
      await app.close();
      app = undefined;

      expect(await samples(registry, 'enkash_token_events_total')).toEqual([
        'enkash_token_events_total{registration="default",type="acquired",grant="password",error_code=""} 1',
        'enkash_token_events_total{registration="cards",type="acquired",grant="password",error_code=""} 1',
        'enkash_token_events_total{registration="cards",type="invalidated",grant="password",error_code=""} 1',
      ]);
    } finally {
      await cardsSimulator.close();
    }
  });
});
