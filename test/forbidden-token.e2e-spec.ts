// Some resource servers answer a refused token with 403 and `WWW-Authenticate: Bearer error="invalid_token"` where
// EnKash answers 401: that 403 is about the token, and recovered like a 401. Any other 403 (EnKash's "APIs not
// enabled", a scope the client lacks) is the caller's error, passed on as it is.
import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import {
  EnkashAuthModule,
  EnkashAuthService,
  EnkashHttpError,
  EnkashHttpService,
} from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { optionsFor } from './support/enkash-app.js';
import { ForbiddingProxy } from './support/forbidding-proxy.js';
import { rejectionOf } from './support/thrown.js';

const BALANCE = '/api/v0/payout-account/balance';

describe('EnkashHttpService when a resource server answers 403', () => {
  let simulator: EnkashSimulator;
  let proxy: ForbiddingProxy;
  let app: TestingModule;
  let http: EnkashHttpService;
  let auth: EnkashAuthService;

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
    proxy = await ForbiddingProxy.start(simulator.port);
    app = await Test.createTestingModule({
      imports: [EnkashAuthModule.forRoot(optionsFor(simulator, { baseUrl: proxy.url }))],
    }).compile();
    app.useLogger(false);
    await app.init();
    http = app.get(EnkashHttpService);
    auth = app.get(EnkashAuthService);
  });

  afterEach(async () => {
    await app?.close();
    await proxy?.close();
    await simulator?.close();
  });

  describe('with WWW-Authenticate: Bearer error="invalid_token"', () => {
    it('re-acquires the token and sends the call once more, as after a 401', async () => {
      const refused = await auth.getAccessToken();
      simulator.revokeAccessToken();

      const response = await http.axiosRef.get(BALANCE);

      expect(response.status).toBe(200);
      expect(proxy.forbidden).toBe(1);
      const renewed = simulator.currentAccessToken;
      expect(renewed).not.toBe(refused);
      expect(simulator.resourceCalls.map((call) => call.authorization)).toEqual([
        `Bearer ${refused}`,
        `Bearer ${renewed}`,
      ]);
      expect(simulator.tokenRequests.map((request) => request.grantType)).toEqual([
        'password',
        'password',
      ]);
    });

    it('recovers 20 concurrent calls with one token request', async () => {
      await auth.getAccessToken();
      simulator.revokeAccessToken();

      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, index) => http.axiosRef.get(`${BALANCE}?call=${index}`)),
      );

      expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
      expect(simulator.stats.tokenRequests).toBe(2);
    });

    it('sends the call only once more: a second refusal reaches the caller as an EnkashHttpError', async () => {
      await auth.getAccessToken();
      // The simulator refuses the next two calls whatever their token; the proxy makes each refusal a 403.
      simulator.injectResourceFault({ kind: 'invalid-token' }, { times: 2 });

      const error = await rejectionOf(http.axiosRef.get(BALANCE));

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect(error).toMatchObject({ status: 403, retriedAfterUnauthorized: true });
      expect(simulator.resourceCalls).toHaveLength(2);
    });
  });

  describe('without that challenge', () => {
    it('passes the 403 on to the caller: no retry, no token request, the token kept', async () => {
      proxy.challenge = null;
      const held = await auth.getAccessToken();
      simulator.revokeAccessToken();

      const error = await rejectionOf(http.axiosRef.get(BALANCE));

      expect(error).toBeInstanceOf(EnkashHttpError);
      expect(error).toMatchObject({ status: 403, retriedAfterUnauthorized: false });
      expect(simulator.resourceCalls).toHaveLength(1);
      expect(simulator.stats.tokenRequests).toBe(1);
      expect(auth.getCachedAccessToken()).toBe(held);
    });

    it('passes on a 403 whose challenge names another error (insufficient_scope)', async () => {
      proxy.challenge = 'Bearer error="insufficient_scope", scope="payouts"';
      await auth.getAccessToken();
      simulator.revokeAccessToken();

      const error = await rejectionOf(http.axiosRef.get(BALANCE));

      expect(error).toMatchObject({ status: 403, retriedAfterUnauthorized: false });
      expect(simulator.stats.tokenRequests).toBe(1);
    });
  });
});
