import 'reflect-metadata';
import { getEventListeners } from 'node:events';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { HttpModule, HttpService } from '@nestjs/axios';
import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import axios, { AxiosError, isAxiosError } from 'axios';
import type { AxiosAdapter, AxiosResponse } from 'axios';
import { firstValueFrom } from 'rxjs';
import {
  EnkashAuthError,
  EnkashAuthModule,
  EnkashAuthService,
  EnkashHttpError,
  EnkashHttpService,
} from '../lib/index.js';
import type { EnkashAuthOptions } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { describeError } from './support/secret-watch.js';
import { optionsFor, secretsOf, sleep } from './support/enkash-app.js';
import { startRecordingServer } from './support/recording-server.js';
import type { RecordingServer } from './support/recording-server.js';

const BALANCE = '/api/v0/payout-account/balance';

/** How an application uses `@nestjs/axios` for its own calls, beside the library. */
@Injectable()
class ApplicationHttpClient {
  constructor(@Inject(HttpService) readonly http: HttpService) {}
}

@Module({ imports: [HttpModule], providers: [ApplicationHttpClient] })
class ApplicationHttpModule {}

/** Everything a logged or serialised value shows. */
function shown(value: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(value) ?? '';
  } catch {
    json = ''; // circular: inspect() shows it all anyway
  }
  return inspect(value, { depth: 8 }) + json;
}

describe('EnkashHttpService against the EnKash simulator', () => {
  let simulator: EnkashSimulator;
  let foreign: RecordingServer;
  let apps: TestingModule[];

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
    foreign = await startRecordingServer();
    apps = [];
  });

  afterEach(async () => {
    for (const app of apps) await app.close();
    await simulator.close();
    await foreign.close();
  });

  async function boot(
    overrides: Partial<EnkashAuthOptions> = {},
    imports: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']> = [],
  ): Promise<{ app: TestingModule; http: EnkashHttpService; auth: EnkashAuthService }> {
    const app = await Test.createTestingModule({
      imports: [...imports, EnkashAuthModule.forRoot(optionsFor(simulator, overrides))],
    }).compile();
    app.useLogger(false);
    await app.init();
    apps.push(app);
    return { app, http: app.get(EnkashHttpService), auth: app.get(EnkashAuthService) };
  }

  /** The Authorization headers EnKash's resource paths received, in order. */
  const resourceAuthorizations = (): (string | undefined)[] =>
    simulator.resourceCalls.map((call) => call.authorization);

  describe('the token on calls to EnKash', () => {
    it('sends the current token as a Bearer header with every Observable method', async () => {
      const { http } = await boot();
      await firstValueFrom(http.get(BALANCE));
      await firstValueFrom(http.post('/api/v0/beneficiary-detail', { beneficiaryId: 'B1' }));
      await firstValueFrom(http.put('/api/v0/beneficiary-detail/B1', { beneficiaryName: 'A' }));
      await firstValueFrom(http.patch('/api/v0/beneficiary-detail/B1', { vpaHandle: 'a@upi' }));
      await firstValueFrom(http.delete('/api/v0/beneficiary-detail/B1'));
      await firstValueFrom(http.head(BALANCE));
      await firstValueFrom(http.request({ method: 'GET', url: BALANCE }));

      const bearer = `Bearer ${simulator.currentAccessToken}`;
      expect(simulator.resourceCalls.map((call) => call.method)).toEqual([
        'GET',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
        'HEAD',
        'GET',
      ]);
      expect(resourceAuthorizations()).toEqual(Array(7).fill(bearer));
      expect(simulator.stats.tokenRequests).toBe(1);
    });

    it('sends it with promise calls through axiosRef, which resolve paths against baseUrl', async () => {
      const { http } = await boot();
      expect(http.axiosRef.defaults.baseURL).toBe(simulator.url);

      const response = await http.axiosRef.post<{ payload: { path: string; body: unknown } }>(
        '/api/v0/payout-transaction',
        { transactionId: 'T1', transferAmount: 10 },
      );

      expect(response.data.payload).toMatchObject({
        path: '/api/v0/payout-transaction',
        body: { transactionId: 'T1', transferAmount: 10 },
      });
      expect(resourceAuthorizations()).toEqual([`Bearer ${simulator.currentAccessToken}`]);
    });

    it('attaches a cached token without asynchronous work, and waits for one when none is cached', async () => {
      const { http } = await boot();
      const seen: (string | undefined)[] = [];
      const recordingAdapter: AxiosAdapter = (config) => {
        seen.push(config.headers.get('Authorization') as string | undefined);
        return Promise.resolve({ data: {}, status: 200, statusText: 'OK', headers: {}, config });
      };

      const first = http.axiosRef.get(BALANCE, { adapter: recordingAdapter });
      expect(seen).toEqual([]); // no token yet: the call waits for the token request
      await first;
      expect(seen).toEqual([`Bearer ${simulator.currentAccessToken}`]);

      void http.axiosRef.get(BALANCE, { adapter: recordingAdapter });
      // Dispatched within the call itself: the interceptor chain ran synchronously.
      expect(seen).toHaveLength(2);
      expect(seen[1]).toBe(`Bearer ${simulator.currentAccessToken}`);
    });

    it('waits for a token no longer than the call may last', async () => {
      const { http } = await boot({ requestTimeoutMs: 300, tokenRequestTimeoutMs: 5_000 });
      simulator.injectFault({ kind: 'hang' });

      const startedAt = Date.now();
      const error = await firstValueFrom(http.get(BALANCE)).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect(error).toMatchObject({ code: 'ECONNABORTED' });
      expect(Date.now() - startedAt).toBeLessThan(2_000);
      expect(simulator.stats.resourceRequests).toBe(0);
    });

    it("stops waiting for a token when the caller's signal aborts", async () => {
      const { http } = await boot();
      simulator.injectFault({ kind: 'hang' });
      const caller = new AbortController();

      const call = http.axiosRef.get(BALANCE, { signal: caller.signal }).catch((e: unknown) => e);
      await sleep(50);
      caller.abort();

      expect(await call).toMatchObject({ code: 'ERR_CANCELED' });
    });

    it('never sends a call whose Observable was unsubscribed while it waited for a token', async () => {
      const { http } = await boot();
      simulator.injectFault({ kind: 'delay', ms: 500 });

      const subscription = http
        .post('/api/v0/payout-transaction', { transactionId: 'T-cancelled' })
        .subscribe({ error: () => undefined });
      await sleep(50);
      subscription.unsubscribe();
      await sleep(800);

      expect(simulator.stats.tokenRequests).toBe(1);
      expect(simulator.resourceCalls).toEqual([]);
    });

    it('reports a call aborted while it waited for a token with its method and path', async () => {
      const { http } = await boot();
      simulator.injectFault({ kind: 'delay', ms: 500 });
      const caller = new AbortController();

      const call = http.axiosRef
        .post('/api/v0/payout-transaction', { transactionId: 'T2' }, { signal: caller.signal })
        .catch((e: unknown) => e);
      await sleep(50);
      caller.abort();

      expect(await call).toMatchObject({
        code: 'ERR_CANCELED',
        method: 'POST',
        path: '/api/v0/payout-transaction',
      });
    });

    it("leaves no listener on the caller's signal once its calls are done", async () => {
      const { http } = await boot();
      const caller = new AbortController();

      for (let i = 0; i < 20; i += 1) {
        await http.axiosRef.get(BALANCE, { signal: caller.signal });
      }

      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    });

    it('bounds each attempt, the wait for a token and the request together, by the timeout', async () => {
      const { http } = await boot({ requestTimeoutMs: 400 });
      simulator.injectFault({ kind: 'delay', ms: 300 });
      simulator.injectResourceFault({ kind: 'delay', ms: 300 });

      const error = await firstValueFrom(http.get(BALANCE)).catch((e: unknown) => e);

      expect(error).toMatchObject({ code: 'ECONNABORTED' });
    });

    it('passes on an error axios raises before sending as it is', async () => {
      const { http } = await boot();

      const error = await http.axiosRef
        .get(BALANCE, { adapter: 'no-such-adapter' as never })
        .catch((e: unknown) => e);

      expect(isAxiosError(error)).toBe(true);
      expect(error).not.toBeInstanceOf(EnkashHttpError);
      expect(simulator.stats.tokenRequests).toBe(0);
    });

    it('gives up on a call after requestTimeoutMs', async () => {
      const { http, auth } = await boot({ requestTimeoutMs: 300 });
      await auth.getAccessToken();
      simulator.injectResourceFault({ kind: 'hang' });

      const startedAt = Date.now();
      const error = await firstValueFrom(http.get(BALANCE)).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect(error).toMatchObject({ code: 'ECONNABORTED', method: 'GET', path: BALANCE });
      expect(Date.now() - startedAt).toBeLessThan(3_000);
    });
  });

  describe('calls to other hosts', () => {
    it('sends no Authorization header to another host given as an absolute URL', async () => {
      const { http } = await boot();
      await firstValueFrom(http.get(BALANCE));

      await firstValueFrom(http.get(`${foreign.url}/webhook`));
      await http.axiosRef.post(`${foreign.url}/webhook`, { event: 'payout' });
      // Same host name, other port: another origin.
      await firstValueFrom(http.get(`${foreign.url}/x`, { baseURL: simulator.url }));

      expect(foreign.requests).toHaveLength(3);
      for (const request of foreign.requests) expect(request.headers.authorization).toBeUndefined();
    });

    it('decides on the final URL, after interceptors that run late re-target the call', async () => {
      const { http } = await boot();
      await firstValueFrom(http.get(BALANCE));
      http.axiosRef.interceptors.request.use((config) => {
        config.baseURL = foreign.url;
        return config;
      });

      await http.axiosRef.get('/hooks/x', {
        transitional: { legacyInterceptorReqResOrdering: false },
      });

      expect(foreign.requests).toHaveLength(1);
      expect(foreign.requests[0]?.headers.authorization).toBeUndefined();
    });

    it('sends the token where axios sends an absolute URL under allowAbsoluteUrls: false', async () => {
      const { http } = await boot();

      await http.axiosRef.get(`${foreign.url}/x`, { allowAbsoluteUrls: false });

      expect(foreign.requests).toHaveLength(0);
      expect(resourceAuthorizations()).toEqual([`Bearer ${simulator.currentAccessToken}`]);
    });

    it('sends none when a call overrides baseURL with another host', async () => {
      const { http } = await boot();
      await firstValueFrom(http.get('/hooks/payout', { baseURL: foreign.url }));
      await firstValueFrom(http.get(`${foreign.url.replace('127.0.0.1', 'localhost')}/x`));

      expect(foreign.requests.map((request) => request.headers.authorization)).toEqual([
        undefined,
        undefined,
      ]);
    });

    it('does not carry the token across a redirect to another host', async () => {
      const { http } = await boot();
      simulator.injectResourceFault({
        kind: 'status',
        status: 302,
        headers: { Location: `${foreign.url}/statement.pdf` },
      });

      await firstValueFrom(http.get('/api/v0/payout-account/statement'));

      expect(resourceAuthorizations()).toEqual([`Bearer ${simulator.currentAccessToken}`]);
      expect(foreign.requests).toHaveLength(1);
      expect(foreign.requests[0]?.headers.authorization).toBeUndefined();
    });

    it("leaves the application's own HttpService and the global axios without the token", async () => {
      const { app, http } = await boot({}, [ApplicationHttpModule]);
      await firstValueFrom(http.get(BALANCE));
      const plain = app.get(ApplicationHttpClient).http;

      expect(plain.axiosRef).not.toBe(http.axiosRef);
      expect(axios).not.toBe(http.axiosRef);
      const viaPlain = await firstValueFrom(
        plain.get(`${simulator.url}${BALANCE}`, { validateStatus: () => true }),
      );
      const viaGlobal = await axios.get(`${simulator.url}${BALANCE}`, {
        validateStatus: () => true,
      });
      await firstValueFrom(plain.get(`${foreign.url}/x`));
      await axios.get(`${foreign.url}/y`);

      expect(viaPlain.status).toBe(401);
      expect(viaGlobal.status).toBe(401);
      expect(resourceAuthorizations().slice(1)).toEqual([undefined, undefined]);
      expect(foreign.requests.map((request) => request.headers.authorization)).toEqual([
        undefined,
        undefined,
      ]);
    });

    it('never touches the global axios, even when a test overrides HttpService with a plain one', async () => {
      const app = await Test.createTestingModule({
        imports: [EnkashAuthModule.forRoot(optionsFor(simulator))],
      })
        .overrideProvider(HttpService)
        .useValue(new HttpService())
        .compile();
      app.useLogger(false);
      await app.init();
      apps.push(app);
      await firstValueFrom(app.get(EnkashHttpService).get(BALANCE));

      const viaGlobal = await axios.get(`${simulator.url}${BALANCE}`, {
        validateStatus: () => true,
      });

      expect(axios.defaults.baseURL).toBeUndefined();
      expect(viaGlobal.status).toBe(401);
      expect(resourceAuthorizations()[1]).toBeUndefined();
    });

    it('gives two applications built from one module tree separate axios instances', async () => {
      const registration = EnkashAuthModule.forRoot(optionsFor(simulator));
      const build = async (): Promise<TestingModule> => {
        const app = await Test.createTestingModule({ imports: [registration] }).compile();
        app.useLogger(false);
        await app.init();
        apps.push(app);
        return app;
      };
      const first = await build();
      const second = await build();

      expect(first.get(EnkashHttpService).axiosRef).not.toBe(
        second.get(EnkashHttpService).axiosRef,
      );
      await first.close();
      apps.splice(apps.indexOf(first), 1);
      const response = await firstValueFrom(second.get(EnkashHttpService).get(BALANCE));
      expect(response.status).toBe(200);
    });
  });

  describe('when EnKash answers 401', () => {
    it('re-acquires the token with the password grant and retries the call once', async () => {
      const { http, auth } = await boot();
      const refused = await auth.getAccessToken();
      simulator.revokeAccessToken();

      const response = await firstValueFrom(
        http.post('/api/v0/beneficiary-detail', { beneficiaryId: 'B7' }),
      );

      const renewed = simulator.currentAccessToken;
      expect(renewed).not.toBe(refused);
      expect(response.data).toMatchObject({ payload: { body: { beneficiaryId: 'B7' } } });
      expect(resourceAuthorizations()).toEqual([`Bearer ${refused}`, `Bearer ${renewed}`]);
      expect(simulator.tokenRequests.map((request) => request.grantType)).toEqual([
        'password',
        'password',
      ]);
    });

    it('recovers 50 concurrent calls that all meet a 401 with one token request', async () => {
      const { http, auth } = await boot();
      await auth.getAccessToken();
      simulator.revokeAccessToken();

      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          firstValueFrom(http.get(`${BALANCE}?call=${index}`)),
        ),
      );

      expect(responses.every((response) => response.status === 200)).toBe(true);
      expect(simulator.stats.tokenRequests).toBe(2);
      expect(simulator.stats.resourceUnauthorized).toBe(50);
      expect(simulator.stats.resourceRequests).toBe(100);
    });

    it('retries with the current token, without a token request, when another call already recovered', async () => {
      const { http, auth } = await boot();
      const refused = await auth.getAccessToken();
      simulator.injectResourceFault({ kind: 'delay', ms: 1_800 }, { path: '/slow' });

      const slow = firstValueFrom(http.get('/slow'));
      await sleep(50);
      simulator.revokeAccessToken();
      await firstValueFrom(http.get(BALANCE)); // meets the 401 first and recovers
      const renewed = simulator.currentAccessToken;
      const response = await slow;

      expect(response.status).toBe(200);
      expect(simulator.stats.passwordGrants).toBe(2);
      const slowCalls = simulator.resourceCalls.filter((call) => call.path === '/slow');
      expect(slowCalls.map((call) => call.authorization)).toEqual([
        `Bearer ${refused}`,
        `Bearer ${renewed}`,
      ]);
    });

    it('recovers a call whose validateStatus accepts a 401 too', async () => {
      const { http, auth } = await boot();
      await auth.getAccessToken();
      simulator.revokeAccessToken();

      const response = await http.axiosRef.get(BALANCE, { validateStatus: () => true });

      expect(response.status).toBe(200);
      expect(simulator.stats.passwordGrants).toBe(2);
    });

    it("runs the application's own interceptors once for a call that was sent again", async () => {
      const { http, auth } = await boot();
      await auth.getAccessToken();
      let requestInterceptorRuns = 0;
      let responseInterceptorRuns = 0;
      http.axiosRef.interceptors.request.use((config) => {
        requestInterceptorRuns += 1;
        return config;
      });
      http.axiosRef.interceptors.response.use((response) => {
        responseInterceptorRuns += 1;
        return { ...response, data: { unwrapped: response.data } };
      });
      simulator.revokeAccessToken();

      const response = await http.axiosRef.get<{ unwrapped: { response_code: number } }>(BALANCE);

      expect(response.data.unwrapped.response_code).toBe(0);
      expect([requestInterceptorRuns, responseInterceptorRuns]).toEqual([1, 1]);
      expect(simulator.stats.resourceRequests).toBe(2);
    });

    it('sends a Buffer body again intact', async () => {
      const { http, auth } = await boot();
      await auth.getAccessToken();
      simulator.revokeAccessToken();

      const response = await http.axiosRef.post(
        '/api/v0/beneficiary-detail',
        Buffer.from('{"beneficiaryId":"B8"}'),
        { headers: { 'Content-Type': 'application/json' } },
      );

      expect(response.data).toMatchObject({ payload: { body: { beneficiaryId: 'B8' } } });
    });

    it('does not send a stream body again, but drops the refused token for the next call', async () => {
      const { http, auth } = await boot();
      const refused = await auth.getAccessToken();
      simulator.revokeAccessToken();

      const error = await http.axiosRef
        .post('/api/v0/beneficiary-detail', Readable.from(['{"beneficiaryId":"B9"}']), {
          headers: { 'Content-Type': 'application/json' },
        })
        .catch((e: unknown) => e);
      const next = await firstValueFrom(http.get(BALANCE));

      expect(error).toMatchObject({ status: 401, retriedAfterUnauthorized: false });
      expect(next.status).toBe(200);
      expect(resourceAuthorizations()).toEqual([
        `Bearer ${refused}`,
        `Bearer ${simulator.currentAccessToken}`,
      ]);
    });

    it('does not blame the token for a 401 from the host a redirect led to', async () => {
      const { http, auth } = await boot();
      const token = await auth.getAccessToken();
      const refusing = await startRecordingServer((_req, res) => {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"nope"}');
      });
      try {
        simulator.injectResourceFault({
          kind: 'status',
          status: 302,
          headers: { Location: `${refusing.url}/landing` },
        });

        const error = await firstValueFrom(http.get('/api/v0/report')).catch((e: unknown) => e);

        expect(error).toMatchObject({ status: 401, retriedAfterUnauthorized: false });
        expect(refusing.requests).toHaveLength(1);
        expect(refusing.requests[0]?.headers.authorization).toBeUndefined();
        expect(auth.getCachedAccessToken()).toBe(token);
        expect(simulator.stats.tokenRequests).toBe(1);
      } finally {
        await refusing.close();
      }
    });

    it("masks the token in a 401 answer the call's validateStatus accepted", async () => {
      const { http, auth } = await boot();
      const token = await auth.getAccessToken();
      simulator.injectResourceFault({ kind: 'invalid-token' }, { times: 2 });

      const response = await http.axiosRef.get(BALANCE, { validateStatus: () => true });

      expect(response.status).toBe(401);
      expect(response.data).toEqual({
        error: 'invalid_token',
        error_description: 'Invalid access token: [redacted]',
      });
      expect(shown(response)).not.toContain(token);
    });

    it('surfaces a second 401 as an EnkashHttpError instead of looping', async () => {
      const { http } = await boot();
      simulator.injectResourceFault(
        { kind: 'invalid-token' },
        { times: Infinity, path: '/api/v0/cards' },
      );

      const error = await firstValueFrom(http.get('/api/v0/cards')).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect(error).toMatchObject({
        status: 401,
        method: 'GET',
        path: '/api/v0/cards',
        retriedAfterUnauthorized: true,
      });
      expect(simulator.resourceCalls.filter((call) => call.path === '/api/v0/cards')).toHaveLength(
        2,
      );
    });

    it('neither retries nor drops the token for a 401 from another host', async () => {
      const { http, auth } = await boot();
      const token = await auth.getAccessToken();
      const refusing = await startRecordingServer((_req, res) => {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"nope"}');
      });
      try {
        const error = await firstValueFrom(http.get(`${refusing.url}/x`)).catch((e: unknown) => e);

        expect(error).toMatchObject({ status: 401, retriedAfterUnauthorized: false });
        expect(refusing.requests).toHaveLength(1);
        expect(auth.getCachedAccessToken()).toBe(token);
        expect(simulator.stats.tokenRequests).toBe(1);
      } finally {
        await refusing.close();
      }
    });

    it('passes on the EnkashAuthError when no token can be had after the 401', async () => {
      const { http, auth } = await boot();
      await auth.getAccessToken();
      simulator.revokeAccessToken();
      simulator.setCredentials({ password: 'changed-by-an-admin' });

      const error = await firstValueFrom(http.get(BALANCE)).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EnkashAuthError);
      expect(error).toMatchObject({ code: 'invalid_credentials' });
      expect(simulator.stats.passwordGrants).toBe(2);
    });
  });

  describe('errors that leave the service', () => {
    it("keep the status, method, path and EnKash's error body, and are not AxiosErrors", async () => {
      const { http } = await boot();
      const body = { response_code: 422, response_message: 'Invalid encrypted request' };
      simulator.injectResourceFault({
        kind: 'status',
        status: 422,
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', 'Set-Cookie': 'JSESSIONID=abc' },
      });

      const error = await firstValueFrom(
        http.post('/api/v0/payout-transaction?dryRun=1', { transactionId: 'T9' }),
      ).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect(error).not.toBeInstanceOf(AxiosError);
      expect(isAxiosError(error)).toBe(false);
      const httpError = error as EnkashHttpError;
      expect(httpError).toMatchObject({
        status: 422,
        code: 'ERR_BAD_REQUEST',
        method: 'POST',
        path: '/api/v0/payout-transaction',
        url: `${simulator.url}/api/v0/payout-transaction`,
      });
      expect(httpError.response?.data).toEqual(body);
      expect(httpError.response?.headers['content-type']).toBe('application/json');
      expect(httpError.response?.headers['set-cookie']).toBeUndefined();
      expect(httpError.message).toBe(
        `EnKash call POST ${simulator.url}/api/v0/payout-transaction failed: HTTP 422 Unprocessable Entity`,
      );
    });

    it('never hold a token, an Authorization header, a secret or the request body', async () => {
      const { http, auth } = await boot();
      const token = await auth.getAccessToken();
      simulator.injectResourceFault({ kind: 'invalid-token' }, { times: 2 });

      const error = await firstValueFrom(
        http.post('/api/v0/beneficiary-detail', { beneficiaryAccountNumber: '000123456789' }),
      ).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EnkashHttpError);
      const text = describeError(error);
      for (const secret of [token, ...secretsOf(simulator), '000123456789', 'Bearer ey']) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toMatch(/authorization/i);
      expect((error as EnkashHttpError).response?.data).toEqual({
        error: 'invalid_token',
        error_description: 'Invalid access token: [redacted]',
      });
      expect((error as EnkashHttpError).response?.headers['www-authenticate']).toContain(
        'Invalid access token: [redacted]',
      );
    });

    it("report a failure without an answer with axios's code", async () => {
      const { http, auth } = await boot();
      await auth.getAccessToken();
      simulator.injectResourceFault({ kind: 'connection-reset' });

      const error = await firstValueFrom(http.get(BALANCE)).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect(error).toMatchObject({ code: 'ECONNRESET', method: 'GET', path: BALANCE });
      expect((error as EnkashHttpError).response).toBeUndefined();
      expect((error as EnkashHttpError).status).toBeUndefined();
    });

    it('leave a logged successful response without the token', async () => {
      const { http, auth } = await boot();
      const token = await auth.getAccessToken();

      const response: AxiosResponse = await firstValueFrom(http.get(BALANCE));

      expect(response.status).toBe(200);
      expect(shown(response)).not.toContain(token);
      expect(response.request).toBeDefined();
      expect(response.config.url).toBe(BALANCE);
    });
  });

  describe('when the application closes', () => {
    it('aborts the calls under way', async () => {
      const { app, http, auth } = await boot();
      await auth.getAccessToken();
      simulator.injectResourceFault({ kind: 'hang' });
      const call = firstValueFrom(http.get(BALANCE)).catch((e: unknown) => e);
      await sleep(100);

      const closedAt = Date.now();
      await app.close();
      apps = [];
      const error = await call;

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect(error).toMatchObject({ code: 'ERR_CANCELED' });
      expect(Date.now() - closedAt).toBeLessThan(1_000);
    });

    it("aborts a call that has a signal of the caller's too", async () => {
      const { app, http, auth } = await boot();
      await auth.getAccessToken();
      simulator.injectResourceFault({ kind: 'hang' });
      const caller = new AbortController();
      const call = http.axiosRef.get(BALANCE, { signal: caller.signal }).catch((e: unknown) => e);
      await sleep(100);

      await app.close();
      apps = [];

      expect(await call).toMatchObject({ code: 'ERR_CANCELED' });
      expect(caller.signal.aborted).toBe(false);
    });

    it('fails later calls at once without sending them', async () => {
      const { app, http, auth } = await boot();
      await auth.getAccessToken();
      await app.close();
      apps = [];

      const error = await http.axiosRef.get(BALANCE).catch((e: unknown) => e);

      expect(error).toMatchObject({ code: 'ERR_CANCELED' });
      expect(simulator.stats.resourceRequests).toBe(0);
    });
  });
});
