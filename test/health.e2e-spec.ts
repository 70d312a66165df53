import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EnkashAuthService, enkashConfig, readEnkashOptionsFromEnvironment } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator, EnkashSimulatorFault } from '../lib/testing/index.js';
import { AppModule } from '../sample-app/app.module.js';
import { payoutsConfig } from '../sample-app/payouts/payouts.config.js';
import { environmentFor, secretsOf } from './support/enkash-app.js';
import { freeLoopbackPort } from './support/ports.js';
import { until } from './support/waiting.js';

/** The part of terminus's answer these tests read. */
interface HealthAnswer {
  status: 'ok' | 'error';
  info: Record<string, Record<string, unknown>>;
  error: Record<string, Record<string, unknown>>;
  details: Record<string, Record<string, unknown>>;
}

/** An ISO 8601 timestamp, as `Date.toISOString()` writes it. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('GET /health of the sample app, over HTTP', () => {
  let simulator: EnkashSimulator;
  /** The credentials the app was started with: the simulator's own change when a test rotates them. */
  let appSecrets: string[];
  let app: INestApplication | undefined;
  let baseUrl: string;

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
    appSecrets = secretsOf(simulator);
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await simulator.close();
  });

  /**
   * The AppModule of `npm start` on 127.0.0.1 and a free port, pointed at `environment` (the simulator's, by
   * default) as a user would in their own tests. No token is fetched at boot unless `acquireOnStartup`.
   */
  async function startApp({
    acquireOnStartup = false,
    environment = environmentFor(simulator),
  } = {}): Promise<void> {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(enkashConfig.KEY)
      .useValue(
        readEnkashOptionsFromEnvironment({
          ...environment,
          ENKASH_ACQUIRE_ON_STARTUP: String(acquireOnStartup),
        }),
      )
      .overrideProvider(payoutsConfig.KEY)
      .useValue({ fundSourceId: 'EKTEST0001', auditWebhookUrl: undefined })
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  }

  /** `GET /health`, its status and its body; fails the test if a token or a credential shows up in it. */
  async function health(): Promise<{ status: number; body: HealthAnswer }> {
    const response = await fetch(`${baseUrl}/health`);
    const text = await response.text();
    for (const secret of [...appSecrets, ...secretsOf(simulator), ...simulator.issuedTokens]) {
      expect(text).not.toContain(secret);
    }
    return { status: response.status, body: JSON.parse(text) as HealthAnswer };
  }

  /** Until /health shows what `settled` looks for, whatever it answers before. */
  async function healthOnce(
    settled: (enkash: Record<string, unknown>) => boolean,
  ): Promise<{ status: number; body: HealthAnswer }> {
    let last: { status: number; body: HealthAnswer } | undefined;
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      last = await health();
      const enkash = last.body.details.enkash;
      if (enkash !== undefined && settled(enkash)) return last;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`/health never settled; last answer: ${JSON.stringify(last)}`);
  }

  const fetchBalance = (): Promise<Response> => fetch(`${baseUrl}/payouts/balance`);

  describe('up: a valid token is held', () => {
    it('answers 200 once the token fetched at boot has arrived, with its expiry and next renewal', async () => {
      await startApp({ acquireOnStartup: true });

      const { status, body } = await healthOnce((enkash) => enkash.status === 'up');

      expect(status).toBe(200);
      const enkash = {
        status: 'up',
        registration: 'default',
        state: 'valid',
        expiresAt: expect.stringMatching(ISO_TIMESTAMP),
        nextRenewalAt: expect.stringMatching(ISO_TIMESTAMP),
        nextRetryAt: null,
        lastErrorCode: null,
        consecutiveFailures: 0,
      };
      expect(body).toEqual({ status: 'ok', info: { enkash }, error: {}, details: { enkash } });
      const { expiresAt, nextRenewalAt } = body.info.enkash as Record<string, string>;
      expect(Date.parse(nextRenewalAt)).toBeGreaterThan(Date.now());
      expect(Date.parse(expiresAt)).toBeGreaterThan(Date.parse(nextRenewalAt));
      expect(simulator.stats.passwordGrants).toBe(1);
    });

    it('stays up while a renewal fails and the token is still valid, showing the failure', async () => {
      await startApp();
      expect((await fetchBalance()).status).toBe(200);
      simulator.injectFault({ kind: 'server-error' }, { times: Infinity });

      await expect(app!.get(EnkashAuthService).refresh()).rejects.toMatchObject({
        code: 'server_error',
      });
      const { status, body } = await health();

      expect(status).toBe(200);
      expect(body.info.enkash).toMatchObject({
        status: 'up',
        state: 'valid',
        lastErrorCode: 'server_error',
        consecutiveFailures: 1,
      });
    });
  });

  describe('down: no valid token is held', () => {
    it('answers 503 before any token was asked for (idle), and asks EnKash for none', async () => {
      await startApp();

      const { status, body } = await health();

      expect(status).toBe(503);
      const enkash = {
        status: 'down',
        registration: 'default',
        state: 'idle',
        expiresAt: null,
        nextRenewalAt: null,
        nextRetryAt: null,
        lastErrorCode: null,
        consecutiveFailures: 0,
      };
      expect(body).toEqual({ status: 'error', info: {}, error: { enkash }, details: { enkash } });
      expect(simulator.tokenRequests).toEqual([]);
    });

    it('answers 503 at once while the first token request hangs (acquiring): a probe never waits on EnKash', async () => {
      simulator.injectFault({ kind: 'hang' });
      await startApp({ acquireOnStartup: true });
      await until(() => simulator.tokenRequests.length === 1, 5_000, 'the first token request');

      const askedAt = performance.now();
      const { status, body } = await health();

      expect(performance.now() - askedAt).toBeLessThan(1_000);
      expect(status).toBe(503);
      expect(body.error.enkash).toMatchObject({ status: 'down', state: 'acquiring' });
      expect(simulator.tokenRequests).toHaveLength(1);
    });

    it.each([
      ['the password', { password: 'changed-by-someone-else' }, 'invalid_credentials'],
      ['the client secret', { clientSecret: 'rotated-at-enkash' }, 'invalid_client'],
    ])(
      'answers 503 once EnKash has rejected %s (locked_out), without trying it again',
      async (_what, rotated, code) => {
        await startApp();
        simulator.setCredentials(rotated);
        expect((await fetchBalance()).status).toBe(502);

        const { status, body } = await health();
        await health();

        expect(status).toBe(503);
        expect(body.error.enkash).toEqual({
          status: 'down',
          registration: 'default',
          state: 'locked_out',
          expiresAt: null,
          nextRenewalAt: null,
          nextRetryAt: null,
          lastErrorCode: code,
          consecutiveFailures: 1,
        });
        expect(simulator.tokenRequests).toHaveLength(1);
      },
    );

    it.each<[string, EnkashSimulatorFault, string]>([
      ['answers 5xx', { kind: 'server-error' }, 'server_error'],
      ['resets the connection', { kind: 'connection-reset' }, 'network'],
    ])(
      'answers 503 while EnKash %s (retrying), with the next retry',
      async (_what, fault, code) => {
        simulator.injectFault(fault, { times: Infinity });
        await startApp({ acquireOnStartup: true });

        const { status, body } = await healthOnce((enkash) => enkash.lastErrorCode !== null);

        expect(status).toBe(503);
        expect(body.error.enkash).toEqual({
          status: 'down',
          registration: 'default',
          state: 'retrying',
          expiresAt: null,
          nextRenewalAt: null,
          nextRetryAt: expect.stringMatching(ISO_TIMESTAMP),
          lastErrorCode: code,
          consecutiveFailures: 1,
        });
      },
    );

    it('answers 503 while EnKash cannot be reached at all (retrying, network)', async () => {
      const nothingListens = `http://127.0.0.1:${await freeLoopbackPort()}`;
      await startApp({
        acquireOnStartup: true,
        environment: { ...environmentFor(simulator), ENKASH_BASE_URL: nothingListens },
      });

      const { status, body } = await healthOnce((enkash) => enkash.lastErrorCode !== null);

      expect(status).toBe(503);
      expect(body.error.enkash).toMatchObject({
        status: 'down',
        state: 'retrying',
        lastErrorCode: 'network',
      });
    });
  });
});
