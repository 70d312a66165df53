// EnKash's conventions through EnkashHttpService, against the simulator over real HTTP: envelopes, payload
// encryption, default headers and environments.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { inspect } from 'node:util';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import {
  EnkashApiError,
  EnkashHttpError,
  EnkashHttpService,
  encryptEnkashPayload,
} from '../lib/index.js';
import type { EnkashAuthOptions } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator, EnkashSimulatorOptions } from '../lib/testing/index.js';
import { bootWith, optionsFor, secretsOf } from './support/enkash-app.js';
import { startHandMadeEnkash } from './support/hand-made-enkash.js';
import { startRecordingServer } from './support/recording-server.js';
import { rejectionOf } from './support/thrown.js';
import type { RecordingServer } from './support/recording-server.js';

const BALANCE = '/api/v0/payout-account/balance';
const PAYOUT = '/api/v0/payout-transaction';

const transfer = {
  transactionId: 'TXN001',
  beneficiaryId: 'BEN001',
  transferAmount: 100,
  transferMode: 'UPI',
  transferRemark: 'Refund ₹100 to Zoë',
};

/** What the simulator echoes as `payload` for a call. */
interface Echo {
  method: string;
  path: string;
  body: unknown;
}

describe("EnKash's conventions through EnkashHttpService", () => {
  let simulator: EnkashSimulator;
  let app: TestingModule | undefined;
  let other: RecordingServer | undefined;

  async function start(
    simulatorOptions: EnkashSimulatorOptions = {},
    overrides: Partial<EnkashAuthOptions> = {},
  ): Promise<EnkashHttpService> {
    simulator = await startEnkashSimulator(simulatorOptions);
    ({ app } = await bootWith(optionsFor(simulator, overrides)));
    return app.get(EnkashHttpService);
  }

  /** Nothing of the credentials, the tokens or the ciphertexts in what a caller may log. */
  function expectNothingSecretIn(error: unknown): void {
    const shown = JSON.stringify(error) + String(error) + String((error as Error).stack);
    for (const secret of [...secretsOf(simulator), ...simulator.issuedTokens]) {
      expect(shown).not.toContain(secret);
    }
  }

  beforeEach(() => {
    app = undefined;
    other = undefined;
  });

  afterEach(async () => {
    await app?.close();
    await other?.close();
    await simulator?.close();
  });

  describe('envelopes', () => {
    it("emits the envelope's payload when the registration unwraps envelopes", async () => {
      const http = await start({}, { unwrapEnvelopes: true });

      const response = await firstValueFrom(
        http.get<Echo>(BALANCE, { params: { fundSourceId: 'F1' } }),
      );

      expect(response.status).toBe(200);
      expect(response.data).toMatchObject({ method: 'GET', path: BALANCE });
      expect(response.data).not.toHaveProperty('response_code');
    });

    it('unwraps for one call when asked, and leaves the envelope to a call that opts out', async () => {
      const http = await start({}, { unwrapEnvelopes: false });

      const unwrapped = await firstValueFrom(
        http.get<Echo>(BALANCE, { enkash: { unwrapEnvelope: true } }),
      );
      const whole = await http.axiosRef.get(BALANCE);

      expect(unwrapped.data.path).toBe(BALANCE);
      expect(whole.data).toMatchObject({ response_code: 0, response_message: 'Success' });
    });

    it('lets a call keep the envelope when the registration unwraps', async () => {
      const http = await start({}, { unwrapEnvelopes: true });

      const response = await http.axiosRef.get(BALANCE, { enkash: { unwrapEnvelope: false } });

      expect(response.data).toMatchObject({ response_code: 0, payload: { path: BALANCE } });
    });

    it('fails with EnkashApiError, never the payload, when response_code is not 0', async () => {
      const http = await start({}, { unwrapEnvelopes: true });
      simulator.injectResourceFault(
        { kind: 'envelope', responseCode: 409, responseMessage: 'Duplicate transaction id' },
        { path: PAYOUT },
      );

      const error = await rejectionOf(firstValueFrom(http.post(PAYOUT, transfer)));

      expect(error).toBeInstanceOf(EnkashApiError);
      expect(error).toMatchObject({
        code: 'response_code',
        responseCode: 409,
        responseMessage: 'Duplicate transaction id',
        status: 200,
        method: 'POST',
        path: PAYOUT,
      });
      expect((error as Error).message).toBe(
        `EnKash refused POST ${PAYOUT}: response_code 409 (Duplicate transaction id)`,
      );
      expect(error).not.toBeInstanceOf(EnkashHttpError);
      expectNothingSecretIn(error);
    });

    it('reads the camelCase envelope some EnKash pages show, success and failure', async () => {
      const http = await start({ envelopeCasing: 'camel' }, { unwrapEnvelopes: true });
      simulator.injectResourceFault(
        { kind: 'envelope', responseCode: 1, responseMessage: 'Failure' },
        { path: PAYOUT },
      );

      const balance = await firstValueFrom(http.get<Echo>(BALANCE));
      const error = await rejectionOf(firstValueFrom(http.post(PAYOUT, transfer)));

      expect(balance.data.path).toBe(BALANCE);
      expect(error).toMatchObject({
        code: 'response_code',
        responseCode: 1,
        responseMessage: 'Failure',
      });
    });

    it('fails with malformed_envelope when a call that unwraps gets an answer without one', async () => {
      const http = await start({}, { unwrapEnvelopes: true });
      simulator.injectResourceFault({
        kind: 'status',
        status: 200,
        body: '{"totalBalance":5}',
        headers: { 'Content-Type': 'application/json' },
      });

      const error = await rejectionOf(firstValueFrom(http.get(BALANCE)));

      expect(error).toBeInstanceOf(EnkashApiError);
      expect(error).toMatchObject({ code: 'malformed_envelope', status: 200, path: BALANCE });
      expect((error as Error).message).toContain('has no envelope');
    });

    it('turns an error status carrying a failing envelope into EnkashApiError with that status', async () => {
      const http = await start({}, { unwrapEnvelopes: true });
      simulator.injectResourceFault({
        kind: 'status',
        status: 422,
        body: '{"response_code":422,"response_message":"Invalid Client ID","payload":null}',
        headers: { 'Content-Type': 'application/json' },
      });

      const error = await rejectionOf(firstValueFrom(http.post(PAYOUT, transfer)));

      expect(error).toBeInstanceOf(EnkashApiError);
      expect(error).toMatchObject({
        code: 'response_code',
        status: 422,
        responseCode: 422,
        responseMessage: 'Invalid Client ID',
      });
      expect(error).not.toHaveProperty('payload');
    });

    it('keeps an error status an EnkashHttpError when the call does not unwrap', async () => {
      const http = await start();
      simulator.injectResourceFault({
        kind: 'status',
        status: 422,
        body: '{"response_code":422,"response_message":"Invalid Client ID"}',
        headers: { 'Content-Type': 'application/json' },
      });

      const error = await rejectionOf(firstValueFrom(http.post(PAYOUT, transfer)));

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect((error as EnkashHttpError).response?.data).toEqual({
        response_code: 422,
        response_message: 'Invalid Client ID',
      });
    });

    it('reads a response_code given as a string, "0" being success', async () => {
      const http = await start({}, { unwrapEnvelopes: true });
      const envelope = (code: string): string =>
        JSON.stringify({
          response_code: code,
          response_message: 'as EnKash wrote it',
          payload: { id: 7 },
        });
      simulator.injectResourceFault(
        {
          kind: 'status',
          status: 200,
          body: envelope('0'),
          headers: { 'Content-Type': 'application/json' },
        },
        { path: BALANCE },
      );
      simulator.injectResourceFault(
        {
          kind: 'status',
          status: 200,
          body: envelope('38'),
          headers: { 'Content-Type': 'application/json' },
        },
        { path: PAYOUT },
      );

      const success = await firstValueFrom(http.get(BALANCE));
      const refusal = await rejectionOf(firstValueFrom(http.post(PAYOUT, transfer)));

      expect(success.data).toEqual({ id: 7 });
      expect(refusal).toMatchObject({ code: 'response_code', responseCode: '38' });
    });

    it('keeps the payload of a refusal readable, but out of what a logger serializes', async () => {
      const http = await start({}, { unwrapEnvelopes: true });
      simulator.injectResourceFault(
        {
          kind: 'envelope',
          responseCode: 412,
          responseMessage: 'Validation failed',
          payload: { accountNumber: '000123456789' },
        },
        { path: PAYOUT },
      );

      const error = await rejectionOf(firstValueFrom(http.post(PAYOUT, transfer)));

      expect((error as EnkashApiError).payload).toEqual({ accountNumber: '000123456789' });
      expect(JSON.stringify(error)).not.toContain('000123456789');
      expect(inspect(error)).not.toContain('000123456789');
    });

    it('leaves answers without a body alone: HEAD, 204', async () => {
      const http = await start({}, { unwrapEnvelopes: true, encryptPayloads: true });
      simulator.injectResourceFault({ kind: 'status', status: 204 }, { path: PAYOUT });

      const head = await firstValueFrom(http.head(BALANCE));
      const deleted = await firstValueFrom(http.delete(PAYOUT));

      expect(head.status).toBe(200);
      expect(deleted.status).toBe(204);
    });

    it('hands a call that asked for text the text, unwrapped or not', async () => {
      const http = await start({}, { unwrapEnvelopes: true });

      const response = await firstValueFrom(http.get<string>(BALANCE, { responseType: 'text' }));

      expect(JSON.parse(response.data)).toMatchObject({ response_code: 0 });
    });

    it('still recovers from a 401 with a new token, then unwraps the answer', async () => {
      const http = await start({}, { unwrapEnvelopes: true });
      await firstValueFrom(http.get(BALANCE));
      simulator.revokeAccessToken();

      const response = await firstValueFrom(http.get<Echo>(BALANCE));

      expect(response.data.path).toBe(BALANCE);
      expect(simulator.stats.resourceUnauthorized).toBe(1);
    });
  });

  describe('payload encryption', () => {
    it('sends the body encrypted as { request } and decrypts the answer, for a registration that encrypts', async () => {
      const http = await start({ requireEncryptedPayloads: true }, { encryptPayloads: true });

      const response = await firstValueFrom(
        http.post<Echo>(PAYOUT, transfer, { enkash: { unwrapEnvelope: true } }),
      );

      const [call] = simulator.resourceCalls;
      expect(call).toMatchObject({ encrypted: true, body: transfer });
      expect(response.data).toMatchObject({ method: 'POST', path: PAYOUT, body: transfer });
    });

    it('encrypts one call when asked, on a registration that does not', async () => {
      const http = await start({ requireEncryptedPayloads: true });

      const plain = await rejectionOf(
        firstValueFrom(http.post(PAYOUT, transfer, { enkash: { unwrapEnvelope: true } })),
      );
      const encrypted = await firstValueFrom(
        http.post<Echo>(PAYOUT, transfer, {
          enkash: { encryptPayload: true, unwrapEnvelope: true },
        }),
      );

      expect(plain).toMatchObject({
        code: 'response_code',
        responseCode: 422,
        responseMessage: 'Invalid encrypted request',
      });
      expect(encrypted.data.body).toEqual(transfer);
      expect(simulator.resourceCalls.map((call) => call.encrypted)).toEqual([false, true]);
    });

    it('sends a body once encrypted when it is sent again after a 401', async () => {
      const http = await start({ requireEncryptedPayloads: true }, { encryptPayloads: true });
      await firstValueFrom(http.get(BALANCE));
      simulator.revokeAccessToken();

      const response = await firstValueFrom(
        http.post<Echo>(PAYOUT, transfer, { enkash: { unwrapEnvelope: true } }),
      );

      expect(response.data.body).toEqual(transfer);
      const posts = simulator.resourceCalls.filter((call) => call.method === 'POST');
      expect(posts).toHaveLength(2);
      expect(posts.map((call) => call.body)).toEqual([transfer, transfer]);
    });

    it('fails with undecryptable_response, not a crash, when the answer cannot be decrypted', async () => {
      const http = await start({}, { encryptPayloads: true });
      const otherKey = encryptEnkashPayload({ response_code: 0, payload: {} }, 'another-secret');
      simulator.injectResourceFault({
        kind: 'status',
        status: 200,
        body: JSON.stringify({ request: otherKey }),
        headers: { 'Content-Type': 'application/json' },
      });

      const error = await rejectionOf(firstValueFrom(http.post(PAYOUT, transfer)));

      expect(error).toBeInstanceOf(EnkashApiError);
      expect(error).toMatchObject({ code: 'undecryptable_response', status: 200, path: PAYOUT });
      expect((error as Error).message).toContain('the key does not match');
      expect(JSON.stringify(error) + (error as Error).message).not.toContain(otherKey);
      expectNothingSecretIn(error);
    });

    it('decrypts an error answer in the wrapper, and fails with its envelope', async () => {
      const http = await start({}, { encryptPayloads: true, unwrapEnvelopes: true });
      const refusal = encryptEnkashPayload(
        { response_code: 422, response_message: 'Invalid Client ID' },
        simulator.options.clientSecret,
      );
      simulator.injectResourceFault({
        kind: 'status',
        status: 422,
        body: JSON.stringify({ request: refusal }),
        headers: { 'Content-Type': 'application/json' },
      });

      const error = await rejectionOf(firstValueFrom(http.post(PAYOUT, transfer)));

      expect(error).toMatchObject({
        code: 'response_code',
        status: 422,
        responseCode: 422,
        responseMessage: 'Invalid Client ID',
      });
    });

    it('decides on the URL the call goes to, whatever order its interceptors run in', async () => {
      // axios runs request interceptors in registration order when legacyInterceptorReqResOrdering is false: the
      // application's may then move a call after the library's interceptor has run.
      const http = await start(
        {},
        { encryptPayloads: true, defaultHeaders: { 'API-Key': 'pg-api-key-SECRET' } },
      );
      other = await startRecordingServer();
      http.axiosRef.defaults.transitional = {
        ...http.axiosRef.defaults.transitional,
        legacyInterceptorReqResOrdering: false,
      };
      http.axiosRef.interceptors.request.use((config) => {
        if (config.url?.endsWith('/to-enkash') === true) config.url = PAYOUT;
        if (config.url === '/elsewhere') config.url = `${other!.url}/hook`;
        return config;
      });

      await http.axiosRef.post(`${other.url}/to-enkash`, transfer);
      await http.axiosRef.post('/elsewhere', transfer);

      expect(simulator.resourceCalls[0]).toMatchObject({ encrypted: true, body: transfer });
      expect(simulator.resourceCalls[0]?.headers['api-key']).toBe('pg-api-key-SECRET');
      expect(other.requests[0]?.headers['api-key']).toBeUndefined();
      expect(JSON.parse(other.requests[0]!.body)).toEqual(transfer);
    });

    it('refuses to send a body it cannot encrypt, and sends nothing', async () => {
      const http = await start({}, { encryptPayloads: true });

      const error = await rejectionOf(
        firstValueFrom(
          http.post(PAYOUT, Buffer.from('raw bytes'), {
            headers: { 'Content-Type': 'application/octet-stream' },
          }),
        ),
      );

      expect(error).toBeInstanceOf(EnkashApiError);
      expect(error).toMatchObject({ code: 'unencryptable_request', method: 'POST', path: PAYOUT });
      expect(simulator.resourceCalls).toEqual([]);
    });

    it('leaves a call without a body, and its plain answer, as they are', async () => {
      const http = await start({}, { encryptPayloads: true, unwrapEnvelopes: true });

      const response = await firstValueFrom(http.get<Echo>(BALANCE));

      expect(simulator.resourceCalls[0]).toMatchObject({ encrypted: false, body: null });
      expect(response.data.path).toBe(BALANCE);
    });

    it('never encrypts or unwraps a call to another host', async () => {
      const http = await start({}, { encryptPayloads: true, unwrapEnvelopes: true });
      other = await startRecordingServer();

      const response = await firstValueFrom(http.post(`${other.url}/hook`, transfer));

      expect(response.data).toEqual({ ok: true });
      expect(other.requests[0]?.headers.authorization).toBeUndefined();
      expect(JSON.parse(other.requests[0]!.body)).toEqual(transfer);
      expect(simulator.resourceCalls).toEqual([]);
    });
  });

  describe('default headers', () => {
    it('sends them with every call to EnKash, a header of the call winning', async () => {
      const http = await start(
        { requiredHeaders: { partnerId: 'P123' } },
        { defaultHeaders: { partnerId: 'P123', 'X-Channel': 'api' }, unwrapEnvelopes: true },
      );

      await firstValueFrom(http.get(BALANCE));
      await firstValueFrom(http.get(BALANCE, { headers: { 'X-Channel': 'batch' } }));

      expect(simulator.resourceCalls.map((call) => call.headers.partnerid)).toEqual([
        'P123',
        'P123',
      ]);
      expect(simulator.resourceCalls.map((call) => call.headers['x-channel'])).toEqual([
        'api',
        'batch',
      ]);
    });

    it('makes EnKash refuse a call without the product header it requires', async () => {
      const http = await start(
        { requiredHeaders: { partnerId: 'P123' } },
        { unwrapEnvelopes: true },
      );

      const error = await rejectionOf(firstValueFrom(http.get(BALANCE)));

      expect(error).toMatchObject({ code: 'response_code', responseCode: 403 });
    });

    it('masks a default header that may be a key in what EnKash echoes of it', async () => {
      const http = await start({}, { defaultHeaders: { 'API-Key': 'pg-api-key-SECRET' } });
      simulator.injectResourceFault({
        kind: 'status',
        status: 400,
        body: '{"error":"bad request","echo":"API-Key pg-api-key-SECRET"}',
        headers: { 'Content-Type': 'application/json' },
      });

      const error = await rejectionOf(firstValueFrom(http.get(BALANCE)));

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect(JSON.stringify((error as EnkashHttpError).response)).not.toContain(
        'pg-api-key-SECRET',
      );
    });

    it('never sends them to another host', async () => {
      const http = await start({}, { defaultHeaders: { partnerId: 'P123' } });
      other = await startRecordingServer();

      await firstValueFrom(http.get(`${other.url}/hook`));

      expect(other.requests[0]?.headers.partnerid).toBeUndefined();
    });
  });

  describe('environments', () => {
    it.each([
      ['uat', 'https://ekpayout-uat.enkash.in'],
      ['production', 'https://api.enkash.in'],
    ] as const)(
      "sends calls to EnKash's %s host when no base URL is set",
      async (environment, host) => {
        simulator = await startEnkashSimulator();
        const { baseUrl: _baseUrl, ...withoutBaseUrl } = optionsFor(simulator);
        ({ app } = await bootWith({ ...withoutBaseUrl, environment }));

        expect(app.get(EnkashHttpService).axiosRef.defaults.baseURL).toBe(host);
      },
    );

    it('lets the base URL win over the environment', async () => {
      const http = await start({}, { environment: 'production' });

      await firstValueFrom(http.get(BALANCE));

      expect(http.axiosRef.defaults.baseURL).toBe(simulator.url);
      expect(simulator.resourceCalls).toHaveLength(1);
    });
  });
});

describe("EnKash's payload encryption on the wire", () => {
  /**
   * The body EnKash receives for a POST of `body`, decrypted by an independent tool: openssl, with the key from
   * sha256 of the client secret. Fails unless the wire body is exactly `{"request": <base64>}`.
   */
  async function decryptedByOpenssl(body: unknown): Promise<string> {
    let wire = '';
    const enkash = await startHandMadeEnkash((_req, res, received) => {
      wire = received;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"response_code":0}');
    });
    try {
      const { app } = await bootWith({
        ...enkash.options,
        encryptPayloads: true,
        acquireOnStartup: false,
      });
      try {
        await app
          .get(EnkashHttpService)
          .axiosRef.post(PAYOUT, body, { headers: { 'Content-Type': 'application/json' } });
      } finally {
        await app.close();
      }
      const sent = JSON.parse(wire) as { request: string };
      expect(Object.keys(sent)).toEqual(['request']);
      const key = createHash('sha256')
        .update(enkash.options.clientSecret)
        .digest('hex')
        .slice(0, 32);
      return execFileSync('openssl', ['enc', '-d', '-aes-128-ecb', '-K', key, '-base64', '-A'], {
        input: sent.request,
      }).toString('utf8');
    } finally {
      await enkash.close();
    }
  }

  it('puts on the wire {"request": <base64>} that openssl decrypts to the body\'s JSON', async () => {
    expect(await decryptedByOpenssl(transfer)).toBe(JSON.stringify(transfer));
  });

  it('encrypts JSON text as it is, so that no digit of a large number is lost', async () => {
    const text = '{"transactionId":12345678901234567890123,"amount":100.10}';

    expect(await decryptedByOpenssl(text)).toBe(text);
  });
});
