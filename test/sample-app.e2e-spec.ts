import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { Response } from 'supertest';
import { enkashConfig, readEnkashOptionsFromEnvironment } from '../lib/index.js';
import type { EnkashConfig } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { AppModule } from '../sample-app/app.module.js';
import { payoutsConfig } from '../sample-app/payouts/payouts.config.js';
import type { PayoutsConfig } from '../sample-app/payouts/payouts.config.js';
import { environmentFor, secretsOf } from './support/enkash-app.js';
import { startRecordingServer } from './support/recording-server.js';
import type { RecordingServer } from './support/recording-server.js';

const FUND_SOURCE_ID = 'EKTEST0001';

const beneficiary = {
  beneficiaryId: 'BEN001',
  beneficiaryName: 'Asha Rao',
  vpaHandle: 'asha@upi',
};

const transfer = {
  transactionId: 'TXN001',
  beneficiaryId: 'BEN001',
  transferAmount: 100,
  transferMode: 'UPI',
};

describe('the sample app against the EnKash simulator', () => {
  let simulator: EnkashSimulator;
  let app: INestApplication | undefined;
  let auditServer: RecordingServer | undefined;

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await auditServer?.close();
    auditServer = undefined;
    await simulator.close();
  });

  /** What `enkashConfig` reads from an environment that points at the simulator. */
  function enkashSettingsFor(target: EnkashSimulator): EnkashConfig {
    return readEnkashOptionsFromEnvironment(environmentFor(target));
  }

  /**
   * The AppModule of `npm start`, with its two configurations replaced as a user would in their own tests: the
   * environment (and any `.env`) plays no part. No token is fetched at boot (`acquireOnStartup: false`).
   */
  async function startApp(payouts: Partial<PayoutsConfig> = {}): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(enkashConfig.KEY)
      .useValue(enkashSettingsFor(simulator))
      .overrideProvider(payoutsConfig.KEY)
      .useValue({ fundSourceId: FUND_SOURCE_ID, auditWebhookUrl: undefined, ...payouts })
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  const get = (path: string): Promise<Response> => request(app!.getHttpServer()).get(path);
  const post = (path: string, body: object): Promise<Response> =>
    request(app!.getHttpServer()).post(path).send(body);

  /** Neither a token the simulator issued nor a credential appears in `response`. */
  function expectNothingSecretIn(response: Response, tokens: (string | undefined)[]): void {
    const text = JSON.stringify({ headers: response.headers, body: response.text });
    for (const secret of [...secretsOf(simulator), ...tokens]) {
      if (secret !== undefined) expect(text).not.toContain(secret);
    }
  }

  /** The `Authorization` header of each call the simulator received on its resource paths. */
  const authorizationsSeen = (): (string | undefined)[] =>
    simulator.resourceCalls.map((call) => call.authorization);

  describe('GET /payouts/balance', () => {
    it("answers with EnKash's answer, fetched with the current token", async () => {
      await startApp();

      const response = await get('/payouts/balance');

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        response_code: 0,
        response_message: 'Success',
        payload: {
          method: 'GET',
          path: '/api/v0/payout-account/balance',
          query: { fundSourceId: FUND_SOURCE_ID },
          body: null,
        },
      });
      expect(simulator.currentAccessToken).toBeDefined();
      expect(authorizationsSeen()).toEqual([`Bearer ${simulator.currentAccessToken}`]);
      expect(simulator.stats.passwordGrants).toBe(1);
    });

    it.each(['expireAccessToken', 'revokeAccessToken'] as const)(
      'recovers when EnKash drops the token early (%s): one 401, a new password grant, then 200',
      async (drop) => {
        await startApp();
        expect((await get('/payouts/balance')).status).toBe(200);
        const first = simulator.currentAccessToken;

        simulator[drop]();
        const response = await get('/payouts/balance');

        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ response_code: 0 });
        const second = simulator.currentAccessToken;
        expect(second).toBeDefined();
        expect(second).not.toBe(first);
        expect(authorizationsSeen()).toEqual([
          `Bearer ${first}`,
          `Bearer ${first}`,
          `Bearer ${second}`,
        ]);
        expect(simulator.stats.resourceUnauthorized).toBe(1);
        expect(simulator.tokenRequests.map((tokenRequest) => tokenRequest.grantType)).toEqual([
          'password',
          'password',
        ]);
      },
    );
  });

  describe('GET /enkash/status', () => {
    it('shows where the token stands, and never the token or a secret', async () => {
      await startApp();
      const before = await get('/enkash/status');
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({ state: 'idle', expiresAt: null, tokensObtained: 0 });

      await get('/payouts/balance');
      const after = await get('/enkash/status');

      expect(after.status).toBe(200);
      expect(after.body).toEqual({
        state: 'valid',
        expiresAt: expect.any(String),
        nextRenewalAt: expect.any(String),
        nextRetryAt: null,
        lastObtainedAt: expect.any(String),
        tokensObtained: 1,
        consecutiveFailures: 0,
        lastErrorCode: null,
      });
      expect(Date.parse(after.body.expiresAt as string)).toBeGreaterThan(Date.now());
      expectNothingSecretIn(after, [simulator.currentAccessToken]);
    });
  });

  describe('when no token can be had', () => {
    it('answers 503 with Retry-After while the token endpoint fails, naming the cause', async () => {
      simulator.injectFault({ kind: 'server-error' }, { times: Infinity });
      await startApp();

      const response = await get('/payouts/balance');

      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'server_error',
        message: expect.stringMatching(/server error/),
        retryAfterSeconds: Number(response.headers['retry-after']),
      });
      expect(response.text).not.toMatch(/\bat .+:\d+:\d+/); // no stack
      expectNothingSecretIn(response, []);
      expect(simulator.stats.resourceRequests).toBe(0);
    });

    it('honours the Retry-After EnKash sends when it rate-limits token requests', async () => {
      simulator.injectFault({ kind: 'rate-limited', retryAfterSeconds: 7 }, { times: Infinity });
      await startApp();

      const response = await get('/payouts/balance');

      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('7');
      expect(response.body).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 7 });
    });

    it('answers 502 when EnKash rejects the password, and does not try it again', async () => {
      await startApp();
      simulator.setCredentials({ password: 'changed-by-someone-else' });

      const first = await get('/payouts/balance');
      const second = await get('/payouts/balance');

      for (const response of [first, second]) {
        expect(response.status).toBe(502);
        expect(response.headers['retry-after']).toBeUndefined();
        expect(response.body).toEqual({
          statusCode: 502,
          error: 'Bad Gateway',
          code: 'invalid_credentials',
          message: expect.stringMatching(/rejected the credentials/),
        });
        expectNothingSecretIn(response, []);
      }
      // EnKash locks an account after 3 failed logins: the library never repeats a rejected password on its own.
      expect(simulator.stats.passwordGrants).toBe(1);
      expect((await get('/enkash/status')).body).toMatchObject({
        state: 'locked_out',
        lastErrorCode: 'invalid_credentials',
      });
    });

    it('answers 502 when EnKash rejects the client secret', async () => {
      await startApp();
      simulator.setCredentials({ clientSecret: 'rotated-at-enkash' });

      const response = await get('/payouts/balance');

      expect(response.status).toBe(502);
      expect(response.body).toMatchObject({
        code: 'invalid_client',
        message: expect.stringMatching(/client id or secret/),
      });
      expectNothingSecretIn(response, []);
    });
  });

  describe("EnKash's answers to failed calls", () => {
    it("passes EnKash's verdict on a bad request on to the client, with its status", async () => {
      const enkashAnswer = {
        response_code: 409,
        response_message: 'Beneficiary ID already exists.',
      };
      simulator.injectResourceFault({
        kind: 'status',
        status: 409,
        body: JSON.stringify(enkashAnswer),
        headers: { 'Content-Type': 'application/json' },
      });
      await startApp();

      const response = await post('/payouts/beneficiaries', beneficiary);

      expect(response.status).toBe(409);
      expect(response.body).toEqual({
        statusCode: 409,
        error: 'EnKash rejected the request',
        message: 'Beneficiary ID already exists.',
        enkash: enkashAnswer,
      });
    });

    it('answers 502 when EnKash fails, without passing its error page on', async () => {
      simulator.injectResourceFault({ kind: 'bad-gateway-html' });
      await startApp();

      const response = await get('/payouts/balance');

      expect(response.status).toBe(502);
      expect(response.body).toEqual({
        statusCode: 502,
        error: 'Bad Gateway',
        message: 'EnKash failed (HTTP 502)',
      });
    });

    it('answers 400 to an invalid beneficiary, naming every problem, without calling EnKash', async () => {
      await startApp();

      const response = await post('/payouts/beneficiaries', {
        beneficiaryName: 'Asha Rao',
        beneficiaryAccountNumber: '123456789012',
        vpaHandle: 'asha@upi',
      });

      expect(response.status).toBe(400);
      expect(response.body.message).toEqual([
        'beneficiaryId is required',
        'beneficiaryAccountNumber and beneficiaryIfsc go together',
        'give either a bank account or a vpaHandle, not both',
      ]);
      expect(simulator.stats.resourceRequests).toBe(0);
    });
  });

  describe('when the app shuts down during a call to EnKash', () => {
    it.each([
      ['through EnkashHttpService', '/payouts/beneficiaries', '/api/v0/beneficiary-detail'],
      ['through fetch with @EnkashToken()', '/payouts/transfers', '/api/v0/payout-transaction'],
    ])('aborts it %s and asks the client to send the request again', async (_how, route, path) => {
      const running = await startApp();
      simulator.injectResourceFault({ kind: 'hang' }, { path });
      const body =
        route === '/payouts/transfers'
          ? transfer
          : { beneficiaryId: 'BEN42', beneficiaryName: 'Asha Rao', vpaHandle: 'asha@upi' };
      const answer = post(route, body).then((response) => response); // supertest sends on then()
      const deadline = Date.now() + 5_000;
      while (!simulator.resourceCalls.some((call) => call.path === path)) {
        if (Date.now() > deadline) throw new Error(`${path} was never called`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }

      const closing = Date.now();
      const [response] = await Promise.all([answer, running.close()]);
      app = undefined;

      expect(Date.now() - closing).toBeLessThan(2_000);
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.body.message).toContain('shutting down');
    });
  });

  describe('the token stays between the app and EnKash', () => {
    it('creates a beneficiary on EnKash and reports it to the audit webhook without the token', async () => {
      auditServer = await startRecordingServer();
      await startApp({ auditWebhookUrl: `${auditServer.url}/audit` });

      const response = await post('/payouts/beneficiaries', beneficiary);

      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        response_code: 0,
        payload: { method: 'POST', path: '/api/v0/beneficiary-detail', body: beneficiary },
      });
      const token = simulator.currentAccessToken;
      expect(authorizationsSeen()).toEqual([`Bearer ${token}`]);
      expect(auditServer.requests).toHaveLength(1);
      const [report] = auditServer.requests;
      expect(report).toMatchObject({ method: 'POST', url: '/audit' });
      expect(report?.headers.authorization).toBeUndefined();
      expect(JSON.stringify(auditServer.requests)).not.toContain(token);
      expectNothingSecretIn(response, [token]);
    });

    it('still answers 201 when the audit webhook fails: the beneficiary exists on EnKash', async () => {
      auditServer = await startRecordingServer((_req, res) => {
        res.writeHead(500).end();
      });
      await startApp({ auditWebhookUrl: `${auditServer.url}/audit` });

      const response = await post('/payouts/beneficiaries', beneficiary);

      expect(response.status).toBe(201);
      expect(auditServer.requests).toHaveLength(1);
    });

    it('hands the @EnkashToken() token to fetch for EnKash, and never to the client', async () => {
      await startApp();

      const response = await post('/payouts/transfers', transfer);

      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        response_code: 0,
        payload: {
          method: 'POST',
          path: '/api/v0/payout-transaction',
          body: { ...transfer, fundSourceId: FUND_SOURCE_ID },
        },
      });
      const token = simulator.currentAccessToken;
      expect(authorizationsSeen()).toEqual([`Bearer ${token}`]);
      expectNothingSecretIn(response, [token]);
    });

    it('asks the client to retry when EnKash refuses the token given to fetch, and never echoes it', async () => {
      simulator.injectResourceFault(
        { kind: 'invalid-token' },
        { path: '/api/v0/payout-transaction' },
      );
      await startApp();

      const refused = await post('/payouts/transfers', transfer);

      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      // The simulator's 401 echoes the token, as Spring does: the client must not see it.
      expectNothingSecretIn(refused, [simulator.currentAccessToken]);
      const again = await post('/payouts/transfers', transfer);
      expect(again.status).toBe(201);
    });
  });

  describe('POST /payouts/encrypted-transfers', () => {
    it('sends the payout encrypted, as Payouts requires, and answers the decrypted payload', async () => {
      await startApp();
      simulator.setRequireEncryptedPayloads(true);

      const response = await post('/payouts/encrypted-transfers', transfer);

      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        method: 'POST',
        path: '/api/v0/payout-transaction',
        query: {},
        body: { ...transfer, fundSourceId: FUND_SOURCE_ID },
      });
      expect(simulator.resourceCalls.map(({ encrypted, body }) => ({ encrypted, body }))).toEqual([
        { encrypted: true, body: { ...transfer, fundSourceId: FUND_SOURCE_ID } },
      ]);
      expectNothingSecretIn(response, [simulator.currentAccessToken]);
    });

    it("passes EnKash's refusal in its envelope on, with its response code and words", async () => {
      await startApp();
      simulator.injectResourceFault(
        { kind: 'envelope', responseCode: 409, responseMessage: 'Duplicate transaction id' },
        { path: '/api/v0/payout-transaction' },
      );

      const response = await post('/payouts/encrypted-transfers', transfer);

      expect(response.status).toBe(409);
      expect(response.body).toEqual({
        statusCode: 409,
        error: 'EnKash rejected the request',
        message: 'Duplicate transaction id',
        responseCode: 409,
      });
    });

    it("answers 502 when EnKash's refusal is this service's to fix, not the client's", async () => {
      await startApp();
      simulator.injectResourceFault(
        { kind: 'envelope', responseCode: 403, responseMessage: 'APIs not enabled' },
        { path: '/api/v0/payout-transaction' },
      );

      const response = await post('/payouts/encrypted-transfers', transfer);

      expect(response.status).toBe(502);
      expect(response.body).toMatchObject({
        statusCode: 502,
        message: 'EnKash refused the call: APIs not enabled',
        code: 'response_code',
      });
    });
  });
});
