import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { EnkashAuthError, ENKASH_TOKEN_RENEWAL_TIMEOUT } from '../lib/index.js';
import type { EnkashAuthService } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { bootWith, optionsFor, secretsOf, sleep } from './support/enkash-app.js';
import { until } from './support/waiting.js';
import { describeError } from './support/secret-watch.js';
import { addedSince, liveResources } from './support/live-resources.js';
import { freeLoopbackPort } from './support/ports.js';

async function resourceStatus(simulator: EnkashSimulator, token: string): Promise<number> {
  const response = await fetch(`${simulator.url}/api/v1/payouts/balance`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  await response.arrayBuffer();
  return response.status;
}

function expectNoSecret(value: unknown, secrets: readonly string[]): void {
  const text = describeError(value);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('EnkashAuthService against the EnKash simulator', () => {
  let simulator: EnkashSimulator;
  let app: TestingModule | undefined;
  let handlesBefore: Record<string, number>;

  beforeEach(async () => {
    handlesBefore = liveResources();
    simulator = await startEnkashSimulator();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await simulator.close();
  });

  async function boot(
    overrides: Parameters<typeof optionsFor>[1] = {},
  ): Promise<EnkashAuthService> {
    const booted = await bootWith(optionsFor(simulator, overrides));
    app = booted.app;
    return booted.auth;
  }

  describe('the wire format', () => {
    it("sends EnKash's password grant: Basic client auth and the form fields it documents", async () => {
      // A password that form-encoding must not get wrong: a space, `&`, `=`, `+` and `@`.
      simulator.setCredentials({ password: 'sim-p@ss w0rd&=+' });
      const auth = await boot();
      const token = await auth.getAccessToken();

      expect(token).toBe(simulator.currentAccessToken);
      expect(simulator.tokenRequests).toHaveLength(1);
      const [request] = simulator.tokenRequests;
      const { clientId, clientSecret, username, password } = simulator.options;
      expect(request?.authorization).toBe(
        'Basic ' + Buffer.from(`${clientId}:${clientSecret}`).toString('base64'),
      );
      expect(request?.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      expect(request?.form).toEqual({ username, password, grant_type: 'password', clientId });
      expect(await auth.getAuthorizationHeader()).toBe(`Bearer ${token}`);
      expect(await resourceStatus(simulator, token)).toBe(200);
    });

    it('accepts the camelCase answer some EnKash pages show', async () => {
      await simulator.close();
      simulator = await startEnkashSimulator({ responseCase: 'camel', tokenLifetimeSeconds: 2 });
      const auth = await boot();
      const token = await auth.getAccessToken();
      expect(token).toBe(simulator.currentAccessToken);
      const expiresAt = auth.getStatus().expiresAt?.getTime() ?? 0;
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(2_000);
    });

    it('fetches the token at startup in the background when acquireOnStartup is on', async () => {
      const auth = await boot({ acquireOnStartup: true });
      for (let i = 0; i < 50 && auth.getCachedAccessToken() === undefined; i += 1) await sleep(10);
      expect(auth.getCachedAccessToken()).toBe(simulator.currentAccessToken);
      expect(simulator.stats.passwordGrants).toBe(1);
    });
  });

  it('shares one token request among 200 concurrent cold callers', async () => {
    simulator.injectFault({ kind: 'delay', ms: 50 });
    const auth = await boot();
    const tokens = await Promise.all(Array.from({ length: 200 }, () => auth.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(simulator.stats.tokenRequests).toBe(1);
  });

  describe('renewal before expiry', () => {
    it('renews a 2-second token with the refresh grant about three quarters into its life, revoking the old one', async () => {
      simulator.setTokenLifetime(2);
      const auth = await boot();
      const first = await auth.getAccessToken();
      const { expiresAt, nextRenewalAt } = auth.getStatus();
      const marginMs = expiresAt!.getTime() - nextRenewalAt!.getTime();
      // The margin is a quarter of the lifetime, and the jitter adds up to a quarter second.
      expect(marginMs).toBeGreaterThanOrEqual(500 - 5);
      expect(marginMs).toBeLessThanOrEqual(750 + 5);

      await sleep(nextRenewalAt!.getTime() - Date.now() - 150);
      expect(simulator.stats.refreshGrants).toBe(0);
      await until(() => simulator.stats.refreshGrants === 1, 500, 'the renewal');
      const renewalRequest = simulator.tokenRequests[1];
      expect(renewalRequest?.form).toEqual({
        grant_type: 'refresh_token',
        refresh_token: expect.any(String),
      });
      expect(renewalRequest?.authorization).toBe(simulator.tokenRequests[0]?.authorization);

      const second = await auth.getAccessToken();
      expect(second).not.toBe(first);
      expect(second).toBe(simulator.currentAccessToken);
      expect(await resourceStatus(simulator, first)).toBe(401);
      expect(await resourceStatus(simulator, second)).toBe(200);
      expect(auth.getStatus()).toMatchObject({
        state: 'valid',
        tokensObtained: 2,
        consecutiveFailures: 0,
      });
    });

    it('gives callers during a slow renewal the new token, not the one EnKash is revoking', async () => {
      simulator.setTokenLifetime(2);
      simulator.injectFault({ kind: 'delay', ms: 300 }, { grant: 'refresh_token' });
      const auth = await boot();
      const first = await auth.getAccessToken();
      // The refresh grant has gone out and is being answered slowly.
      await sleep(auth.getStatus().nextRenewalAt!.getTime() - Date.now() + 100);
      expect(simulator.stats.refreshGrants).toBe(1);
      const during = await auth.getAccessToken();
      expect(during).not.toBe(first);
      expect(await resourceStatus(simulator, during)).toBe(200);
    });

    it('falls back to the password grant once when EnKash rejects the refresh token', async () => {
      simulator.setTokenLifetime(2);
      simulator.injectFault({ kind: 'invalid-refresh-token' }, { grant: 'refresh_token' });
      const auth = await boot();
      await auth.getAccessToken();
      simulator.expireAccessToken(); // so that the fallback password grant gets a new token
      // The renewal is due from 0.5 to 1 s in; the one after it as long again later.
      await until(() => simulator.tokenRequests.length >= 3, 1_500, 'the renewal');
      // The fallback's answer is held before a caller asks: until then callers get the token held before.
      await until(() => auth.getStatus().tokensObtained >= 2, 1_000, 'the fallback token');

      expect(simulator.tokenRequests.slice(0, 3).map((request) => request.grantType)).toEqual([
        'password',
        'refresh_token',
        'password',
      ]);
      expect(await resourceStatus(simulator, await auth.getAccessToken())).toBe(200);
    });

    it("registers its renewal in the host app's SchedulerRegistry when ScheduleModule is imported", async () => {
      const booted = await bootWith(optionsFor(simulator), [ScheduleModule.forRoot()]);
      app = booted.app;
      await booted.auth.getAccessToken();
      expect(app.get(SchedulerRegistry).getTimeouts()).toEqual([ENKASH_TOKEN_RENEWAL_TIMEOUT]);
      await app.close();
      app = undefined;
      expect(booted.auth.getStatus().state).toBe('closed');
    });
  });

  describe('when EnKash refuses the current token', () => {
    it("re-acquires the server's current token with the password grant after invalidate()", async () => {
      const auth = await boot();
      const refused = await auth.getAccessToken();
      await sleep(1_000); // a refusal right after acquisition is re-checked no sooner than a second later
      simulator.expireAccessToken(); // EnKash drops it before its time
      expect(await resourceStatus(simulator, refused)).toBe(401);

      for (let i = 0; i < 20; i += 1) auth.invalidate(refused);
      const next = await auth.getAccessToken();
      expect(next).not.toBe(refused);
      expect(await resourceStatus(simulator, next)).toBe(200);
      expect(simulator.tokenRequests.map((request) => request.grantType)).toEqual([
        'password',
        'password',
      ]);
    });
  });

  it('falls back to the password grant when the refresh grant is not enabled for the client', async () => {
    simulator.setTokenLifetime(2);
    simulator.injectFault(
      {
        kind: 'status',
        status: 400,
        body: '{"error":"unsupported_grant_type","error_description":"Unsupported grant type: refresh_token"}',
        headers: { 'Content-Type': 'application/json' },
      },
      { grant: 'refresh_token', times: Infinity },
    );
    const auth = await boot();
    await auth.getAccessToken();
    simulator.expireAccessToken();
    // The renewal is due from 0.5 to 1 s in; the one after it as long again later. The simulator records the
    // fallback's request before the engine has its answer: wait for the engine to hold the new token too.
    await until(
      () => simulator.tokenRequests.length >= 3 && auth.getStatus().state === 'valid',
      1_500,
      'the renewal, by the password grant',
    );
    expect(simulator.tokenRequests.slice(0, 3).map((request) => request.grantType)).toEqual([
      'password',
      'refresh_token',
      'password',
    ]);
    expect(await resourceStatus(simulator, await auth.getAccessToken())).toBe(200);
  });

  describe('faults at the token endpoint', () => {
    /** A caller who does not wait for the retry: it gets the failure itself. */
    const NO_WAIT = { waitMs: 0 };

    const cases = [
      { fault: { kind: 'server-error' as const }, code: 'server_error', status: 500 },
      { fault: { kind: 'bad-gateway-html' as const }, code: 'server_error', status: 502 },
      { fault: { kind: 'malformed-json' as const }, code: 'malformed_response', status: 200 },
      { fault: { kind: 'no-access-token' as const }, code: 'malformed_response', status: 200 },
      { fault: { kind: 'connection-reset' as const }, code: 'network', status: undefined },
    ];
    for (const { fault, code, status } of cases) {
      it(`turns ${fault.kind} into a retryable ${code} error, then recovers`, async () => {
        simulator.injectFault(fault);
        const auth = await boot();
        const error = await auth.getAccessToken(NO_WAIT).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(EnkashAuthError);
        expect(error).toMatchObject({ code, retryable: true });
        expect((error as EnkashAuthError).status).toBe(status);
        expectNoSecret(error, secretsOf(simulator));

        // The background retry comes within about a second and succeeds.
        for (let i = 0; i < 30 && auth.getCachedAccessToken() === undefined; i += 1)
          await sleep(50);
        expect(auth.getCachedAccessToken()).toBe(simulator.currentAccessToken);
        expect(simulator.stats.tokenRequests).toBe(2);
      });
    }

    it('reports a 429 as rate_limited and waits out its Retry-After', async () => {
      simulator.injectFault({ kind: 'rate-limited', retryAfterSeconds: 2 });
      const auth = await boot();
      await expect(auth.getAccessToken(NO_WAIT)).rejects.toMatchObject({
        code: 'rate_limited',
        status: 429,
        retryAfterMs: 2_000,
      });
      await sleep(1_200);
      await expect(auth.getAccessToken(NO_WAIT)).rejects.toMatchObject({ code: 'rate_limited' });
      expect(simulator.stats.tokenRequests).toBe(1);

      // A caller who waits gets the token of the retry that comes once Retry-After has passed.
      const waitStartedAt = Date.now();
      const token = await auth.getAccessToken();
      expect(Date.now() - waitStartedAt).toBeGreaterThanOrEqual(700);
      expect(token).toBe(simulator.currentAccessToken);
      expect(simulator.stats.tokenRequests).toBe(2);
    });

    it('gives up on a hanging token endpoint after tokenRequestTimeoutMs', async () => {
      simulator.injectFault({ kind: 'hang' });
      const auth = await boot({ tokenRequestTimeoutMs: 300 });
      const started = Date.now();
      await expect(auth.getAccessToken(NO_WAIT)).rejects.toMatchObject({
        code: 'timeout',
        retryable: true,
      });
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('reports an unreachable endpoint as a network error without hanging', async () => {
      const auth = await boot({ baseUrl: `http://127.0.0.1:${await freeLoopbackPort()}` });
      await expect(auth.getAccessToken(NO_WAIT)).rejects.toMatchObject({
        code: 'network',
        retryable: true,
      });
    });

    it('boots while EnKash is down and reports the failure through getStatus()', async () => {
      const auth = await boot({
        baseUrl: `http://127.0.0.1:${await freeLoopbackPort()}`,
        acquireOnStartup: true,
      });
      for (let i = 0; i < 50 && auth.getStatus().state !== 'retrying'; i += 1) await sleep(10);
      expect(auth.getStatus()).toMatchObject({
        state: 'retrying',
        consecutiveFailures: 1,
        lastErrorCode: 'network',
        expiresAt: null,
      });
    });
  });

  describe('bad credentials', () => {
    it('are never retried: later calls reject at once without contacting EnKash', async () => {
      const options = optionsFor(simulator);
      simulator.setCredentials({ password: 'the-new-password' });
      const booted = await bootWith(options);
      app = booted.app;
      const auth = booted.auth;
      const error = await auth.getAccessToken().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'invalid_credentials', retryable: false, status: 400 });
      expectNoSecret(error, [...secretsOf(simulator), 'the-new-password']);

      for (let i = 0; i < 5; i += 1) {
        await expect(auth.getAccessToken()).rejects.toBe(error);
      }
      await sleep(1_500);
      expect(simulator.stats.failedLogins).toBe(1);
      expect(simulator.stats.tokenRequests).toBe(1);
      expect(auth.getStatus().state).toBe('locked_out');

      // The operator fixes the password on EnKash's side; refresh() is the explicit retry.
      simulator.setCredentials({ password: options.password });
      await auth.refresh();
      expect(await auth.getAccessToken()).toBe(simulator.currentAccessToken);
    });

    it('reports a wrong client secret as invalid_client and stops', async () => {
      const auth = await boot({ clientSecret: 'not-the-secret' });
      await expect(auth.getAccessToken()).rejects.toMatchObject({
        code: 'invalid_client',
        status: 401,
      });
      await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'invalid_client' });
      expect(simulator.stats.tokenRequests).toBe(1);
    });

    it('never leak the refresh token EnKash echoes in its error description', async () => {
      simulator.setTokenLifetime(2);
      const logged: string[] = [];
      const auth = await boot();
      Logger.overrideLogger({
        log: (message: unknown) => logged.push(String(message)),
        warn: (message: unknown) => logged.push(String(message)),
        error: (message: unknown) => logged.push(String(message)),
      });
      try {
        const first = await auth.getAccessToken();
        simulator.injectFault({ kind: 'invalid-refresh-token' }, { grant: 'refresh_token' });
        simulator.injectFault({ kind: 'bad-credentials' }, { grant: 'password' });
        // The renewal is due from 1.25 to 1.5 s in; locked out, nothing follows.
        await until(() => auth.getStatus().state === 'locked_out', 3_000, 'the lock-out');
        const refreshToken = simulator.tokenRequests[1]?.form.refresh_token;
        expect(refreshToken).toEqual(expect.any(String));
        expect(auth.getStatus().state).toBe('locked_out');
        expect(logged.join('\n')).toMatch(/locks an account after 3 consecutive failed logins/);
        expectNoSecret(logged, [...secretsOf(simulator), first, String(refreshToken)]);
      } finally {
        Logger.overrideLogger(false);
      }
    });
  });

  describe('shutdown', () => {
    it('aborts a token request under way and leaves no socket behind', async () => {
      simulator.injectFault({ kind: 'hang' });
      const auth = await boot();
      const pending = auth.getAccessToken().catch((caught: unknown) => caught);
      await sleep(50);

      const closing = Date.now();
      await app?.close();
      app = undefined;
      expect(Date.now() - closing).toBeLessThan(500);
      expect(await pending).toMatchObject({ code: 'network', retryable: false });
      await expect(auth.getAccessToken()).rejects.toThrow(/shutting down/);

      await simulator.close();
      await sleep(20);
      expect(addedSince(handlesBefore)).toEqual({});
    });

    it('clears the renewal timer and closes its connections', async () => {
      const auth = await boot();
      await auth.getAccessToken();
      await app?.close();
      app = undefined;
      await simulator.close();
      await sleep(20);
      expect(addedSince(handlesBefore)).toEqual({});
      expect(auth.getStatus()).toMatchObject({ state: 'closed', nextRenewalAt: null });
    });
  });
});
