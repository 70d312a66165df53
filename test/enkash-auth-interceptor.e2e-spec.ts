import 'reflect-metadata';
import type { Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Req, UseInterceptors } from '@nestjs/common';
import type { INestApplication, LoggerService, ModuleMetadata, Type } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { Response } from 'supertest';
import { EnkashAuthInterceptor, EnkashAuthModule, EnkashToken } from '../lib/index.js';
import type { EnkashAuthenticatedRequest, EnkashAuthOptions } from '../lib/index.js';
import { enkashTokenWithoutInterceptor } from '../lib/enkash-auth.messages.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator, EnkashSimulatorFault } from '../lib/testing/index.js';
import { optionsFor, secretsOf, sleep } from './support/enkash-app.js';
import { freeLoopbackPort } from './support/ports.js';
import { SecretWatch } from './support/secret-watch.js';

/** How many times a route handler of the test controllers ran. */
const handled = { count: 0 };

/** What the test handlers answer: the token they were given, and what `request.enkash` held. */
interface TokenSeen {
  token: string;
  onRequest: string | undefined;
}

/** Counts the handler run and answers what it was given. */
function tokenSeen(token: string, request: Partial<EnkashAuthenticatedRequest>): TokenSeen {
  handled.count += 1;
  return { token, onRequest: request.enkash };
}

@Controller('guarded')
@UseInterceptors(EnkashAuthInterceptor)
class GuardedController {
  @Get('statement')
  statement(
    @EnkashToken() token: string,
    @Req() request: Partial<EnkashAuthenticatedRequest>,
  ): TokenSeen {
    return tokenSeen(token, request);
  }
}

@Controller('mixed')
class MixedController {
  @Get('statement')
  @UseInterceptors(EnkashAuthInterceptor)
  statement(@EnkashToken() token: string): { token: string } {
    handled.count += 1;
    return { token };
  }

  @Get('health')
  health(@Req() request: Partial<EnkashAuthenticatedRequest>): { onRequest: string | null } {
    handled.count += 1;
    return { onRequest: request.enkash ?? null };
  }

  /** A programming error: the decorator without the interceptor. */
  @Get('forgotten')
  forgotten(@EnkashToken() token: string): { token: string } {
    handled.count += 1;
    return { token };
  }
}

/** No interceptor of its own: for the APP_INTERCEPTOR registration. */
@Controller('plain')
class PlainController {
  @Get('statement')
  statement(
    @EnkashToken() token: string,
    @Req() request: Partial<EnkashAuthenticatedRequest>,
  ): TokenSeen {
    return tokenSeen(token, request);
  }
}

/** A user's feature module that registers the interceptor for every route of the application. */
function apiModuleWithGlobalInterceptor(options: EnkashAuthOptions): Type {
  @Module({
    imports: [EnkashAuthModule.forRoot(options)],
    controllers: [PlainController],
    providers: [{ provide: APP_INTERCEPTOR, useClass: EnkashAuthInterceptor }],
  })
  class ApiModule {}
  return ApiModule;
}

/** Everything the client of our user's API sees of an answer. */
const seenByClient = (response: Response): string =>
  `${JSON.stringify(response.headers)}\n${response.text}`;

/** No secret, no stack frame, no internal error name reaches the client. */
function expectNothingInternal(response: Response, secrets: readonly string[]): void {
  const seen = seenByClient(response);
  for (const secret of secrets) expect(seen).not.toContain(secret);
  expect(seen).not.toMatch(/\bat .*\(?(file:|node:|\/).*:\d+:\d+/);
  expect(seen).not.toMatch(/EnkashAuthError|\.ts:\d+|node_modules/);
}

describe('EnkashAuthInterceptor in a Nest HTTP application', () => {
  let simulator: EnkashSimulator;
  let apps: INestApplication[];

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
    apps = [];
    handled.count = 0;
  });

  afterEach(async () => {
    for (const app of apps) await app.close();
    await simulator.close();
  });

  interface BootOptions {
    controllers?: ModuleMetadata['controllers'];
    imports?: ModuleMetadata['imports'];
    overrides?: Partial<EnkashAuthOptions>;
    logger?: LoggerService | false;
  }

  async function bootApp(boot: BootOptions = {}): Promise<Server> {
    const imports = boot.imports ?? [
      EnkashAuthModule.forRoot({
        ...optionsFor(simulator, boot.overrides),
        acquireOnStartup: false,
      }),
    ];
    const moduleRef = await Test.createTestingModule({
      imports,
      controllers: boot.controllers ?? [GuardedController, MixedController],
    }).compile();
    const app = moduleRef.createNestApplication();
    apps.push(app);
    app.useLogger(boot.logger ?? false);
    await app.init();
    return app.getHttpServer() as Server;
  }

  describe('when a token can be had', () => {
    it('gives a controller-wide handler the current token through @EnkashToken() and request.enkash', async () => {
      const logger = new SecretWatch();
      const server = await bootApp({ logger });

      const response = await request(server).get('/guarded/statement').expect(200);
      const seen = response.body as TokenSeen;

      expect(simulator.currentAccessToken).toEqual(expect.any(String));
      expect(seen.token).toBe(simulator.currentAccessToken);
      expect(seen.onRequest).toBe(seen.token);
      // The token is the handler's to use, never the library's to log.
      expect(logger.linesAt().join('\n')).not.toContain(seen.token);
    });

    it('obtains the token once for many requests, sequential or concurrent', async () => {
      simulator.injectFault({ kind: 'delay', ms: 100 }); // the first requests all wait for one grant
      const server = await bootApp();

      const concurrent = await Promise.all(
        Array.from({ length: 5 }, () => request(server).get('/guarded/statement').expect(200)),
      );
      const sequential: Response[] = [];
      for (let i = 0; i < 3; i += 1) {
        sequential.push(await request(server).get('/guarded/statement').expect(200));
      }

      const tokens = [...concurrent, ...sequential].map((r) => (r.body as TokenSeen).token);
      expect(new Set(tokens)).toEqual(new Set([simulator.currentAccessToken]));
      expect(simulator.stats.passwordGrants).toBe(1);
      expect(simulator.stats.tokenRequests).toBe(1);
      expect(handled.count).toBe(8);
    });

    it('on a single route, leaves the other routes of the controller alone', async () => {
      const server = await bootApp({ controllers: [MixedController] });

      const health = await request(server).get('/mixed/health').expect(200);
      expect(health.body).toEqual({ onRequest: null });
      expect(simulator.stats.tokenRequests).toBe(0);

      const statement = await request(server).get('/mixed/statement').expect(200);
      expect((statement.body as { token: string }).token).toBe(simulator.currentAccessToken);
      expect(simulator.stats.tokenRequests).toBe(1);
    });

    it('also works for every route when registered as APP_INTERCEPTOR in a module that imports EnkashAuthModule', async () => {
      const options = { ...optionsFor(simulator), acquireOnStartup: false };
      const server = await bootApp({
        imports: [apiModuleWithGlobalInterceptor(options)],
        controllers: [],
      });

      const response = await request(server).get('/plain/statement').expect(200);
      const seen = response.body as TokenSeen;
      expect(seen.token).toBe(simulator.currentAccessToken);
      expect(seen.onRequest).toBe(seen.token);
      expect(simulator.stats.passwordGrants).toBe(1);
    });
  });

  describe("when EnKash's token endpoint blips", () => {
    it('holds the request for the retry and runs the handler with its token', async () => {
      simulator.injectFault({ kind: 'server-error' });
      const server = await bootApp();

      const startedAt = Date.now();
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => request(server).get('/guarded/statement')),
      );

      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
      // The failed request, then the retry within a second: the handlers ran once it came.
      expect(Date.now() - startedAt).toBeLessThan(2_500);
      expect(simulator.stats.passwordGrants).toBe(2);
      expect(handled.count).toBe(5);
    });

    it('answers 503 with Retry-After after 10 s at most, however long the token request hangs', async () => {
      simulator.injectFault({ kind: 'hang' }, { times: Infinity });
      const server = await bootApp({ overrides: { tokenRequestTimeoutMs: 60_000 } });

      const startedAt = Date.now();
      const response = await request(server).get('/guarded/statement').expect(503);

      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(9_900);
      expect(Date.now() - startedAt).toBeLessThan(11_000);
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(response.body).toMatchObject({ code: 'timeout' });
      expect(handled.count).toBe(0);
    }, 20_000);

    it('answers 503 at once when the retry is not due within five seconds (a long Retry-After)', async () => {
      simulator.injectFault({ kind: 'rate-limited', retryAfterSeconds: 30 });
      const server = await bootApp();

      const startedAt = Date.now();
      const response = await request(server).get('/guarded/statement').expect(503);

      expect(Date.now() - startedAt).toBeLessThan(1_000);
      expect(response.headers['retry-after']).toMatch(/^(29|30)$/);
      expect(handled.count).toBe(0);
    });
  });

  describe("when EnKash's token endpoint fails for a while", () => {
    it('never runs the handler without a token', async () => {
      simulator.injectFault({ kind: 'server-error' }, { times: Infinity });
      const server = await bootApp();

      for (let i = 0; i < 3; i += 1) await request(server).get('/guarded/statement').expect(503);
      await request(server).get('/mixed/statement').expect(503);

      expect(handled.count).toBe(0);
      expect(simulator.stats.tokenRequests).toBeGreaterThanOrEqual(1);
    });

    it('answers 503 with Retry-After and a JSON body naming the cause, and nothing internal', async () => {
      simulator.injectFault({ kind: 'server-error' }, { times: Infinity });
      const server = await bootApp();

      const response = await request(server).get('/guarded/statement').expect(503);

      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const retryAfter = response.headers['retry-after'];
      expect(retryAfter).toMatch(/^[1-9]\d*$/);
      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'server_error',
        message: expect.stringMatching(/EnKash.*server error/),
        retryAfterSeconds: Number(retryAfter),
      });
      expect((response.body as { message: string }).message).toContain(
        `Try again in ${retryAfter} s`,
      );
      expectNothingInternal(response, secretsOf(simulator));
    });

    it('does not hand out a token that expired while renewals failed, nor show it to the client', async () => {
      simulator.setTokenLifetime(2); // renewed at 1 s, no longer handed out after 1.8 s
      const server = await bootApp();
      const first = await request(server).get('/guarded/statement').expect(200);
      const expiredToken = (first.body as TokenSeen).token;
      simulator.injectFault({ kind: 'server-error' }, { times: Infinity });

      await sleep(2_100);
      const response = await request(server).get('/guarded/statement').expect(503);

      expect(simulator.stats.refreshGrants).toBeGreaterThanOrEqual(1);
      expect((response.body as { code: string }).code).toBe('server_error');
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expectNothingInternal(response, [...secretsOf(simulator), expiredToken]);
      expect(handled.count).toBe(1);
    });

    it.each<[string, EnkashSimulatorFault, string, RegExp]>([
      ['an HTML 502 from a proxy', { kind: 'bad-gateway-html' }, 'server_error', /server error/],
      [
        'a JSON answer that does not parse',
        { kind: 'malformed-json' },
        'malformed_response',
        /not a token/,
      ],
      [
        'an answer without access_token',
        { kind: 'no-access-token' },
        'malformed_response',
        /not a token/,
      ],
      ['a reset connection', { kind: 'connection-reset' }, 'network', /cannot be reached/],
    ])('answers 503 with Retry-After to %s', async (_case, fault, code, message) => {
      simulator.injectFault(fault, { times: Infinity });
      const server = await bootApp();

      const response = await request(server).get('/guarded/statement').expect(503);

      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(response.body).toMatchObject({ statusCode: 503, code, message });
      expectNothingInternal(response, secretsOf(simulator));
      expect(handled.count).toBe(0);
    });

    it("passes EnKash's Retry-After of a 429 on, and keeps a burst of clients off the token endpoint", async () => {
      simulator.injectFault({ kind: 'rate-limited', retryAfterSeconds: 30 }, { times: Infinity });
      const server = await bootApp();

      const responses: Response[] = [];
      for (let i = 0; i < 3; i += 1) {
        responses.push(await request(server).get('/guarded/statement').expect(503));
      }

      for (const response of responses) {
        expect(response.headers['retry-after']).toBe('30');
        expect(response.body).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          code: 'rate_limited',
          message: expect.stringMatching(/rate-limiting.*Try again in 30 s/),
          retryAfterSeconds: 30,
        });
        expectNothingInternal(response, secretsOf(simulator));
      }
      expect(simulator.stats.tokenRequests).toBe(1);
    });

    it('answers 503 with Retry-After when the token endpoint does not answer in time', async () => {
      simulator.injectFault({ kind: 'hang' }, { times: Infinity });
      const server = await bootApp({ overrides: { tokenRequestTimeoutMs: 300 } });

      const response = await request(server).get('/guarded/statement').expect(503);

      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(response.body).toMatchObject({
        statusCode: 503,
        code: 'timeout',
        message: expect.stringMatching(/did not answer in time/),
      });
      expectNothingInternal(response, secretsOf(simulator));
      expect(handled.count).toBe(0);
    });

    it('answers 503 with Retry-After when nothing listens at the token endpoint', async () => {
      const port = await freeLoopbackPort();
      const server = await bootApp({ overrides: { baseUrl: `http://127.0.0.1:${port}` } });

      const response = await request(server).get('/guarded/statement').expect(503);

      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(response.body).toMatchObject({
        statusCode: 503,
        code: 'network',
        message: expect.stringMatching(/cannot be reached/),
      });
      // The client is not told where EnKash is.
      expect(response.text).not.toContain(String(port));
      expectNothingInternal(response, secretsOf(simulator));
    });
  });

  describe('when EnKash rejects the configured credentials', () => {
    it('answers 502 naming the credentials, without Retry-After, and never tries the password again by itself', async () => {
      const server = await bootApp();
      const configured = secretsOf(simulator);
      simulator.setCredentials({ password: 'something-else' });

      const first = await request(server).get('/guarded/statement').expect(502);
      const second = await request(server).get('/guarded/statement').expect(502);

      for (const response of [first, second]) {
        expect(response.headers['retry-after']).toBeUndefined();
        expect(response.body).toEqual({
          statusCode: 502,
          error: 'Bad Gateway',
          code: 'invalid_credentials',
          message: expect.stringMatching(/EnKash rejected the credentials.*operator/),
        });
        expectNothingInternal(response, [...configured, ...secretsOf(simulator)]);
      }
      // EnKash locks the account after 3 failed logins: one client retrying must not get it locked.
      expect(simulator.stats.passwordGrants).toBe(1);
      expect(simulator.stats.failedLogins).toBe(1);
      expect(handled.count).toBe(0);
    });

    it('answers 502 invalid_client when the client secret is wrong', async () => {
      const server = await bootApp();
      const configured = secretsOf(simulator);
      simulator.setCredentials({ clientSecret: 'another-client-secret' });

      const response = await request(server).get('/guarded/statement').expect(502);

      expect(response.headers['retry-after']).toBeUndefined();
      expect(response.body).toEqual({
        statusCode: 502,
        error: 'Bad Gateway',
        code: 'invalid_client',
        message: expect.stringMatching(/client id or secret/),
      });
      expectNothingInternal(response, [...configured, ...secretsOf(simulator)]);
      expect(handled.count).toBe(0);
    });
  });

  it('answers 500 and logs the missing interceptor when @EnkashToken() is used without it', async () => {
    const logger = new SecretWatch();
    const server = await bootApp({ controllers: [MixedController], logger });

    const response = await request(server).get('/mixed/forgotten').expect(500);

    expect(response.body).toEqual({ statusCode: 500, message: 'Internal server error' });
    expect(response.text).not.toContain('EnkashAuthInterceptor');
    const logged = logger.linesAt().join('\n');
    expect(logged).toContain(enkashTokenWithoutInterceptor());
    expect(logged).toContain('@UseInterceptors(EnkashAuthInterceptor)');
    expect(simulator.stats.tokenRequests).toBe(0);
    expect(handled.count).toBe(0);
  });

  it('answers 503 without Retry-After to a request still waiting for a token when the application shuts down', async () => {
    simulator.injectFault({ kind: 'hang' }, { times: Infinity });
    const server = await bootApp();
    const app = apps[0];
    if (app === undefined) throw new Error('no application');

    const pending = request(server)
      .get('/guarded/statement')
      .then((response) => response);
    while (simulator.stats.tokenRequests === 0) await sleep(10);
    await app.close();
    apps = [];
    const response = await pending;

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'network',
      message: expect.stringMatching(/shutting down/),
    });
    expect(handled.count).toBe(0);
  });
});
