import { afterEach, describe, expect, it } from '@jest/globals';
import {
  startEnkashSimulator,
  type EnkashSimulator,
  type EnkashSimulatorOptions,
} from '../lib/testing/index.js';
import { readAnswer } from './support/wire-answer.js';
import type { WireAnswer } from './support/wire-answer.js';

interface CallOptions {
  /** `null`: no Authorization header; default: the simulator's good client credentials. */
  authorization?: string | null;
  contentType?: string;
  method?: string;
  body?: string;
}

const SNAKE_KEYS = ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'];
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{27}$/;
/** A password with what form-encoding must not get wrong: a space (`+` or `%20`), `&`, `=`, `+` and `@`. */
const AWKWARD_PASSWORD = 'sim-p@ss w0rd&=+';

let sim: EnkashSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options?: EnkashSimulatorOptions): Promise<EnkashSimulator> {
  sim = await startEnkashSimulator(options);
  return sim;
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

async function tokenCall(
  s: EnkashSimulator,
  fields: Record<string, string>,
  options: CallOptions = {},
): Promise<WireAnswer> {
  const headers: Record<string, string> = {
    'Content-Type': options.contentType ?? 'application/x-www-form-urlencoded',
  };
  const authorization =
    options.authorization === undefined
      ? basic(s.options.clientId, s.options.clientSecret)
      : options.authorization;
  if (authorization !== null) headers['Authorization'] = authorization;
  const method = options.method ?? 'POST';
  const response = await fetch(`${s.url}${s.options.tokenPath}`, {
    method,
    headers,
    body: method === 'GET' ? undefined : (options.body ?? new URLSearchParams(fields).toString()),
  });
  return readAnswer(response);
}

function passwordGrant(
  s: EnkashSimulator,
  overrides: Record<string, string> = {},
): Promise<WireAnswer> {
  return tokenCall(s, {
    username: s.options.username,
    password: s.options.password,
    grant_type: 'password',
    clientId: s.options.clientId,
    ...overrides,
  });
}

function refreshGrant(s: EnkashSimulator, refreshToken: string): Promise<WireAnswer> {
  return tokenCall(s, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

async function resource(
  s: EnkashSimulator,
  token: string | undefined,
  path = '/api/v1/wallets?page=2&size=10',
  init: { method?: string; body?: string } = {},
): Promise<WireAnswer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['Authorization'] = `Bearer ${token}`;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  return readAnswer(
    await fetch(`${s.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

function str(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a string, got ${String(value)}`);
  return value;
}

describe('EnKash simulator: password grant', () => {
  it('listens on 127.0.0.1 and exposes the defaults', async () => {
    const s = await start();
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.port).toBeGreaterThan(0);
    expect(s.options).toEqual({
      clientId: 'sim-client-id',
      clientSecret: 'sim-client-secret',
      username: 'sim-user@example.com',
      password: 'sim-p@ss+w0rd=50%',
      tokenPath: '/oauth/token',
      tokenLifetimeSeconds: 86399,
      refreshTokenLifetimeSeconds: 30 * 24 * 3600,
      lockAfterFailedLogins: 3,
      responseCase: 'snake',
      requireEncryptedPayloads: false,
      requiredHeaders: {},
      envelopeCasing: 'snake',
    });
    expect(s.currentAccessToken).toBeUndefined();
  });

  it('answers a password grant with the Spring wire format and logs the request', async () => {
    const s = await start({ password: AWKWARD_PASSWORD });
    const answer = await passwordGrant(s);

    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(answer.text)));
    expect(Object.keys(answer.json ?? {}).sort()).toEqual(SNAKE_KEYS);
    expect(answer.json).toMatchObject({
      token_type: 'bearer',
      expires_in: 86399,
      scope: 'read write trust',
    });
    expect(str(answer.json?.['access_token'])).toMatch(TOKEN_PATTERN);
    expect(str(answer.json?.['refresh_token'])).toMatch(TOKEN_PATTERN);
    expect(answer.json?.['refresh_token']).not.toBe(answer.json?.['access_token']);
    expect(s.currentAccessToken).toBe(answer.json?.['access_token']);

    expect(s.tokenRequests).toHaveLength(1);
    const logged = s.tokenRequests[0];
    expect(logged.grantType).toBe('password');
    expect(logged.authorization).toBe(basic('sim-client-id', 'sim-client-secret'));
    expect(logged.contentType).toBe('application/x-www-form-urlencoded');
    expect(logged.form).toEqual({
      username: 'sim-user@example.com',
      password: AWKWARD_PASSWORD,
      grant_type: 'password',
      clientId: 'sim-client-id',
    });
    expect(Math.abs(logged.receivedAt - Date.now())).toBeLessThan(2000);
  });

  it('decodes a form encoded with %20 as well as +', async () => {
    const s = await start({ password: AWKWARD_PASSWORD });
    const body =
      'username=sim-user%40example.com&password=sim-p%40ss%20w0rd%26%3D%2B' +
      '&grant_type=password&clientId=sim-client-id';
    const answer = await tokenCall(s, {}, { body });
    expect(answer.status).toBe(200);
  });

  it('returns the same tokens while valid, with a shrinking expires_in', async () => {
    const s = await start({ tokenLifetimeSeconds: 2.5 });
    const first = await passwordGrant(s);
    expect(first.json?.['expires_in']).toBe(2);
    await sleep(1100);
    const second = await passwordGrant(s);
    expect(second.json?.['access_token']).toBe(first.json?.['access_token']);
    expect(second.json?.['refresh_token']).toBe(first.json?.['refresh_token']);
    expect(second.json?.['expires_in']).toBe(1);
    expect(s.stats.tokensIssued).toBe(1);
    expect(s.stats.passwordGrants).toBe(2);
  });

  it('answers in camel case when asked to', async () => {
    const s = await start({ responseCase: 'camel' });
    const answer = await passwordGrant(s);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json ?? {}).sort()).toEqual([
      'accessToken',
      'expiresIn',
      'refreshToken',
      'scope',
      'tokenType',
    ]);
    expect(answer.json).toMatchObject({ tokenType: 'bearer', expiresIn: 86399 });
    const refreshed = await refreshGrant(s, str(answer.json?.['refreshToken']));
    expect(refreshed.json?.['refreshToken']).toBe(answer.json?.['refreshToken']);
    expect(refreshed.json?.['accessToken']).not.toBe(answer.json?.['accessToken']);
  });

  it('serves a custom token path and treats /oauth/token as a resource then', async () => {
    const s = await start({ tokenPath: '/enkash/oauth/token' });
    expect((await passwordGrant(s)).status).toBe(200);
    const other = await resource(s, undefined, '/oauth/token');
    expect(other.status).toBe(401);
  });
});

describe('EnKash simulator: protected resources', () => {
  it('echoes the request for the current access token', async () => {
    const s = await start();
    const token = str((await passwordGrant(s)).json?.['access_token']);
    const answer = await resource(s, token, '/api/v1/payouts?page=2&size=10', {
      method: 'POST',
      body: JSON.stringify({ amount: 100 }),
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      response_code: 0,
      response_message: 'Success',
      payload: {
        method: 'POST',
        path: '/api/v1/payouts',
        query: { page: '2', size: '10' },
        body: { amount: 100 },
      },
    });
    expect(s.stats.resourceRequests).toBe(1);
    expect(s.stats.resourceUnauthorized).toBe(0);
  });

  it('rejects a request without a bearer token', async () => {
    const s = await start();
    const answer = await resource(s, undefined);
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      error: 'unauthorized',
      error_description: 'Full authentication is required to access this resource',
    });
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="oauth2-resource"');
  });

  it('rejects an unknown token, echoing it', async () => {
    const s = await start();
    await passwordGrant(s);
    const answer = await resource(s, 'not-a-token');
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      error: 'invalid_token',
      error_description: 'Invalid access token: not-a-token',
    });
    expect(answer.headers.get('www-authenticate')).toBe(
      'Bearer realm="oauth2-resource", error="invalid_token", ' +
        'error_description="Invalid access token: not-a-token"',
    );
    expect(s.stats).toMatchObject({ resourceRequests: 1, resourceUnauthorized: 1 });
  });
});

describe('EnKash simulator: refresh grant', () => {
  it('revokes the old access token at once and keeps the refresh token', async () => {
    const s = await start({ tokenLifetimeSeconds: 600 });
    const first = await passwordGrant(s);
    const oldToken = str(first.json?.['access_token']);
    const refreshToken = str(first.json?.['refresh_token']);
    await sleep(20);

    const refreshed = await refreshGrant(s, refreshToken);
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.json ?? {}).sort()).toEqual(SNAKE_KEYS);
    const newToken = str(refreshed.json?.['access_token']);
    expect(newToken).not.toBe(oldToken);
    expect(refreshed.json?.['refresh_token']).toBe(refreshToken);
    expect(refreshed.json?.['expires_in']).toBe(600);
    expect(s.currentAccessToken).toBe(newToken);

    const withOld = await resource(s, oldToken);
    expect(withOld.status).toBe(401);
    expect(withOld.json?.['error_description']).toBe(`Invalid access token: ${oldToken}`);
    expect(withOld.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await resource(s, newToken)).status).toBe(200);

    // The password grant now hands out the refreshed token.
    expect((await passwordGrant(s)).json?.['access_token']).toBe(newToken);
    expect(s.stats).toMatchObject({ passwordGrants: 2, refreshGrants: 1, tokensIssued: 2 });
  });

  it('lists every access and refresh token it answered with, once each', async () => {
    const s = await start({ tokenLifetimeSeconds: 600 });
    const first = await passwordGrant(s);
    const again = await passwordGrant(s);
    const refreshToken = str(first.json?.['refresh_token']);
    const refreshed = await refreshGrant(s, refreshToken);
    s.resetStats();

    expect(again.json?.['access_token']).toBe(first.json?.['access_token']);
    expect(s.issuedTokens).toEqual([
      str(first.json?.['access_token']),
      refreshToken,
      str(refreshed.json?.['access_token']),
    ]);
  });

  it('echoes an unknown refresh token in the error', async () => {
    const s = await start();
    await passwordGrant(s);
    const answer = await refreshGrant(s, 'bogus-refresh');
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid refresh token: bogus-refresh',
    });
  });

  it('rejects an expired refresh token with 401, then issues a new one on login', async () => {
    const s = await start({ tokenLifetimeSeconds: 1, refreshTokenLifetimeSeconds: 1 });
    const first = await passwordGrant(s);
    const refreshToken = str(first.json?.['refresh_token']);
    await sleep(1100);
    const answer = await refreshGrant(s, refreshToken);
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      error: 'invalid_token',
      error_description: `Invalid refresh token (expired): ${refreshToken}`,
    });
    const login = await passwordGrant(s);
    expect(login.status).toBe(200);
    expect(login.json?.['refresh_token']).not.toBe(refreshToken);
    expect(login.json?.['access_token']).not.toBe(first.json?.['access_token']);
  });

  it('requires the refresh_token field', async () => {
    const s = await start();
    const answer = await tokenCall(s, { grant_type: 'refresh_token' });
    expect(answer.status).toBe(400);
    expect(answer.json?.['error']).toBe('invalid_request');
  });
});

describe('EnKash simulator: expiry, revocation, lifetimes', () => {
  it('expires a short-lived token on its own', async () => {
    const s = await start({ tokenLifetimeSeconds: 1 });
    const first = await passwordGrant(s);
    const token = str(first.json?.['access_token']);
    expect(first.json?.['expires_in']).toBe(1);
    await sleep(1100);
    expect(s.currentAccessToken).toBeUndefined();
    const answer = await resource(s, token);
    expect(answer.status).toBe(401);
    expect(answer.json?.['error_description']).toBe(`Access token expired: ${token}`);
    expect(answer.headers.get('www-authenticate')).toContain(`Access token expired: ${token}`);

    const second = await passwordGrant(s);
    expect(second.json?.['access_token']).not.toBe(token);
    expect(second.json?.['refresh_token']).toBe(first.json?.['refresh_token']);
    expect(s.stats.tokensIssued).toBe(2);
  });

  it('expireAccessToken() ends the token as expiry; the next login issues a new one', async () => {
    const s = await start();
    const first = await passwordGrant(s);
    const token = str(first.json?.['access_token']);
    s.expireAccessToken();
    expect(s.currentAccessToken).toBeUndefined();
    expect((await resource(s, token)).json?.['error_description']).toBe(
      `Access token expired: ${token}`,
    );
    const second = await passwordGrant(s);
    expect(second.json?.['access_token']).not.toBe(token);
    expect(second.json?.['refresh_token']).toBe(first.json?.['refresh_token']);
    expect(second.json?.['expires_in']).toBe(86399);
  });

  it('revokeAccessToken() makes the token unknown at once', async () => {
    const s = await start();
    const token = str((await passwordGrant(s)).json?.['access_token']);
    s.revokeAccessToken();
    expect(s.currentAccessToken).toBeUndefined();
    expect((await resource(s, token)).json?.['error_description']).toBe(
      `Invalid access token: ${token}`,
    );
    expect((await passwordGrant(s)).json?.['access_token']).not.toBe(token);
  });

  it('setTokenLifetime() applies to tokens issued from then on', async () => {
    const s = await start();
    const first = await passwordGrant(s);
    s.setTokenLifetime(120);
    expect(s.options.tokenLifetimeSeconds).toBe(120);
    expect((await passwordGrant(s)).json?.['expires_in']).toBeGreaterThan(86000);
    const refreshed = await refreshGrant(s, str(first.json?.['refresh_token']));
    expect(refreshed.json?.['expires_in']).toBe(120);
    expect(() => s.setTokenLifetime(0)).toThrow(RangeError);
  });
});

describe('EnKash simulator: user and client authentication', () => {
  it('rejects bad credentials and locks the account after 3 failures in a row', async () => {
    const s = await start();
    for (let i = 0; i < 3; i += 1) {
      const answer = await passwordGrant(s, { password: 'wrong' });
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: 'invalid_grant', error_description: 'Bad credentials' });
    }
    const locked = await passwordGrant(s);
    expect(locked.status).toBe(400);
    expect(locked.json).toEqual({
      error: 'invalid_grant',
      error_description: 'User account is locked',
    });
    expect(s.stats.failedLogins).toBe(3);

    s.unlockAccount();
    expect((await passwordGrant(s)).status).toBe(200);
  });

  it('resets the failure count on success, and counts a wrong username', async () => {
    const s = await start();
    await passwordGrant(s, { password: 'wrong' });
    await passwordGrant(s, { username: 'someone@example.com' });
    expect((await passwordGrant(s)).status).toBe(200);
    await passwordGrant(s, { password: 'wrong' });
    await passwordGrant(s, { password: 'wrong' });
    expect((await passwordGrant(s)).status).toBe(200);
    expect(s.stats.failedLogins).toBe(4);
  });

  it('honours lockAfterFailedLogins and setCredentials()', async () => {
    const s = await start({ lockAfterFailedLogins: 1 });
    const { password: oldPassword } = s.options;
    s.setCredentials({ password: 'new secret' });
    expect(s.options.password).toBe('new secret');
    expect((await passwordGrant(s, { password: oldPassword })).status).toBe(400);
    expect((await passwordGrant(s)).json?.['error_description']).toBe('User account is locked');
    s.unlockAccount();
    expect((await passwordGrant(s)).status).toBe(200);
  });

  it('asks for client authentication when the Basic header is missing or malformed', async () => {
    const s = await start();
    for (const authorization of [null, 'Basic !!!', 'Basic bm8tY29sb24=', 'Bearer abc']) {
      const answer = await tokenCall(s, { grant_type: 'password' }, { authorization });
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({
        error: 'unauthorized',
        error_description: 'Full authentication is required to access this resource',
      });
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="oauth2/client"');
    }
  });

  it('rejects wrong client credentials', async () => {
    const s = await start();
    for (const authorization of [
      basic('sim-client-id', 'wrong'),
      basic('other-client', 'sim-client-secret'),
    ]) {
      const answer = await tokenCall(s, { grant_type: 'password' }, { authorization });
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({
        error: 'invalid_client',
        error_description: 'Bad client credentials',
      });
      expect(answer.headers.get('www-authenticate')).toContain('Basic realm="oauth2/client"');
    }
    s.setCredentials({ clientSecret: 'rotated' });
    expect((await passwordGrant(s)).status).toBe(200);
  });

  it('rejects a clientId field that differs from the authenticated client', async () => {
    const s = await start();
    const answer = await passwordGrant(s, { clientId: 'other-client' });
    expect(answer.status).toBe(401);
    expect(answer.json?.['error']).toBe('invalid_client');
  });

  it('validates method, content type, grant type and fields', async () => {
    const s = await start();
    const get = await tokenCall(s, {}, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');

    const json = await tokenCall(
      s,
      {},
      { contentType: 'application/json', body: JSON.stringify({ grant_type: 'password' }) },
    );
    expect(json.status).toBe(400);
    expect(json.json?.['error']).toBe('invalid_request');

    const unknown = await tokenCall(s, { grant_type: 'client_credentials' });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'Unsupported grant type: client_credentials',
    });

    expect((await tokenCall(s, { username: 'x' })).json?.['error']).toBe('invalid_request');
    for (const missing of ['username', 'password', 'clientId']) {
      const fields: Record<string, string> = {
        username: s.options.username,
        password: s.options.password,
        grant_type: 'password',
        clientId: s.options.clientId,
      };
      delete fields[missing];
      const answer = await tokenCall(s, fields);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        error: 'invalid_request',
        error_description: `Missing ${missing}`,
      });
    }
    expect(s.stats.failedLogins).toBe(0);
    expect(s.stats.tokensIssued).toBe(0);
  });
});

describe('EnKash simulator: faults', () => {
  it('server-error', async () => {
    const s = await start();
    s.injectFault({ kind: 'server-error' });
    const answer = await passwordGrant(s);
    expect(answer.status).toBe(500);
    expect(answer.json).toEqual({
      error: 'server_error',
      error_description: 'Internal Server Error',
    });
    expect((await passwordGrant(s)).status).toBe(200);
  });

  it('bad-gateway-html', async () => {
    const s = await start();
    s.injectFault({ kind: 'bad-gateway-html' });
    const answer = await passwordGrant(s);
    expect(answer.status).toBe(502);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.text).toContain('<h1>502 Bad Gateway</h1>');
    expect(answer.json).toBeUndefined();
  });

  it('rate-limited', async () => {
    const s = await start();
    s.injectFault({ kind: 'rate-limited', retryAfterSeconds: 7 });
    const answer = await passwordGrant(s);
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('7');
  });

  it('malformed-json', async () => {
    const s = await start();
    s.injectFault({ kind: 'malformed-json' });
    const answer = await passwordGrant(s);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.text.length).toBeGreaterThan(0);
    expect(answer.json).toBeUndefined();
  });

  it('no-access-token', async () => {
    const s = await start();
    s.injectFault({ kind: 'no-access-token' });
    const answer = await passwordGrant(s);
    expect(answer.status).toBe(200);
    expect(answer.json).toBeDefined();
    expect(answer.json).not.toHaveProperty('access_token');
    expect(answer.json).not.toHaveProperty('accessToken');
    expect(s.stats.tokensIssued).toBe(0);
  });

  it('bad-credentials counts as a failed login and leads to the lock', async () => {
    const s = await start();
    s.injectFault({ kind: 'bad-credentials' }, { times: 3 });
    for (let i = 0; i < 3; i += 1) {
      expect((await passwordGrant(s)).json).toEqual({
        error: 'invalid_grant',
        error_description: 'Bad credentials',
      });
    }
    expect(s.stats.failedLogins).toBe(3);
    expect((await passwordGrant(s)).json?.['error_description']).toBe('User account is locked');
  });

  it('invalid-refresh-token echoes the token sent', async () => {
    const s = await start();
    const refreshToken = str((await passwordGrant(s)).json?.['refresh_token']);
    s.injectFault({ kind: 'invalid-refresh-token' });
    const answer = await refreshGrant(s, refreshToken);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      error: 'invalid_grant',
      error_description: `Invalid refresh token: ${refreshToken}`,
    });
    expect((await refreshGrant(s, refreshToken)).status).toBe(200);
  });

  it('status with a custom body and headers', async () => {
    const s = await start();
    s.injectFault({
      kind: 'status',
      status: 503,
      body: '{"message":"maintenance"}',
      headers: { 'Content-Type': 'application/json', 'X-Sim': 'yes' },
    });
    const answer = await passwordGrant(s);
    expect(answer.status).toBe(503);
    expect(answer.json).toEqual({ message: 'maintenance' });
    expect(answer.headers.get('x-sim')).toBe('yes');
  });

  it('connection-reset fails the request, and the next one works', async () => {
    const s = await start();
    s.injectFault({ kind: 'connection-reset' });
    await expect(passwordGrant(s)).rejects.toThrow();
    expect((await passwordGrant(s)).status).toBe(200);
    expect(s.stats.tokenRequests).toBe(2);
  });

  it('delay answers normally, later', async () => {
    const s = await start();
    s.injectFault({ kind: 'delay', ms: 300 });
    const started = Date.now();
    const answer = await passwordGrant(s);
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('hang never answers until the client aborts', async () => {
    const s = await start();
    s.injectFault({ kind: 'hang' });
    const started = Date.now();
    await expect(
      fetch(`${s.url}/oauth/token`, {
        method: 'POST',
        headers: {
          Authorization: basic(s.options.clientId, s.options.clientSecret),
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=password',
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(s.stats.tokenRequests).toBe(1);
  });

  it('hang is released by close()', async () => {
    const s = await start();
    s.injectFault({ kind: 'hang' });
    const pending = passwordGrant(s);
    const outcome = pending.then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => s.stats.tokenRequests === 1);
    await sleep(20);
    await s.close();
    await expect(outcome).resolves.toBe('failed');
    await s.close(); // idempotent
    await expect(fetch(`${s.url}/oauth/token`, { method: 'POST' })).rejects.toThrow();
  });

  it('close() releases a pending delay as well', async () => {
    const s = await start();
    s.injectFault({ kind: 'delay', ms: 60_000 });
    const outcome = passwordGrant(s).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => s.stats.tokenRequests === 1);
    const started = Date.now();
    await s.close();
    await expect(outcome).resolves.toBe('failed');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('applies a fault `times` times, Infinity until clearFaults()', async () => {
    const s = await start();
    s.injectFault({ kind: 'server-error' }, { times: 2 });
    expect((await passwordGrant(s)).status).toBe(500);
    expect((await passwordGrant(s)).status).toBe(500);
    expect((await passwordGrant(s)).status).toBe(200);

    s.injectFault({ kind: 'status', status: 418 }, { times: Infinity });
    for (let i = 0; i < 5; i += 1) expect((await passwordGrant(s)).status).toBe(418);
    s.clearFaults();
    expect((await passwordGrant(s)).status).toBe(200);
    expect(s.stats.tokenRequests).toBe(9);
  });

  it('queues faults in order and honours the grant filter', async () => {
    const s = await start();
    const refreshToken = str((await passwordGrant(s)).json?.['refresh_token']);
    s.injectFault({ kind: 'invalid-refresh-token' }, { grant: 'refresh_token' });
    s.injectFault({ kind: 'server-error' });
    s.injectFault({ kind: 'rate-limited', retryAfterSeconds: 1 });

    // A password grant skips the refresh-only fault and takes the next one.
    expect((await passwordGrant(s)).status).toBe(500);
    expect((await refreshGrant(s, refreshToken)).json?.['error']).toBe('invalid_grant');
    expect((await refreshGrant(s, refreshToken)).status).toBe(429);
    expect((await refreshGrant(s, refreshToken)).status).toBe(200);

    s.injectFault({ kind: 'server-error' }, { grant: 'password' });
    expect((await refreshGrant(s, refreshToken)).status).toBe(200);
    expect((await passwordGrant(s)).status).toBe(500);
  });

  it('does not apply faults to protected resources', async () => {
    const s = await start();
    const token = str((await passwordGrant(s)).json?.['access_token']);
    s.injectFault({ kind: 'server-error' });
    expect((await resource(s, token)).status).toBe(200);
    expect((await passwordGrant(s)).status).toBe(500);
  });

  it('rejects nonsense fault options', async () => {
    const s = await start();
    expect(() => s.injectFault({ kind: 'server-error' }, { times: 0 })).toThrow(RangeError);
    expect(() => s.injectFault({ kind: 'server-error' }, { times: 1.5 })).toThrow(RangeError);
    expect(() => s.injectFault({ kind: 'delay', ms: -1 })).toThrow(RangeError);
    expect(() => s.injectFault({ kind: 'status', status: 99 })).toThrow(RangeError);
    expect((await passwordGrant(s)).status).toBe(200);
  });
});

describe('EnKash simulator: stats and lifecycle', () => {
  it('counts every request, faulted or not, and resetStats() zeroes everything', async () => {
    const s = await start();
    const stats = s.stats;
    s.injectFault({ kind: 'server-error' });
    await passwordGrant(s);
    const first = await passwordGrant(s);
    await passwordGrant(s, { password: 'wrong' });
    await refreshGrant(s, str(first.json?.['refresh_token']));
    await resource(s, s.currentAccessToken);
    await resource(s, 'stale');
    expect({ ...s.stats }).toEqual({
      tokenRequests: 4,
      passwordGrants: 3,
      refreshGrants: 1,
      tokensIssued: 2,
      failedLogins: 1,
      resourceRequests: 2,
      resourceUnauthorized: 1,
    });
    expect(s.tokenRequests.map((r) => r.grantType)).toEqual([
      'password',
      'password',
      'password',
      'refresh_token',
    ]);

    s.resetStats();
    expect(stats).toBe(s.stats);
    expect(Object.values(s.stats)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(s.tokenRequests).toHaveLength(0);
    // Resetting stats does not touch the tokens.
    expect((await resource(s, s.currentAccessToken)).status).toBe(200);
  });

  it('rejects invalid options', async () => {
    await expect(startEnkashSimulator({ tokenLifetimeSeconds: 0 })).rejects.toThrow(RangeError);
    await expect(startEnkashSimulator({ tokenPath: 'oauth/token' })).rejects.toThrow(RangeError);
    await expect(startEnkashSimulator({ lockAfterFailedLogins: -1 })).rejects.toThrow(RangeError);
    await expect(startEnkashSimulator({ port: 70000 })).rejects.toThrow(RangeError);
  });

  it('listens on a given port', async () => {
    const probe = await start();
    const port = probe.port;
    await probe.close();
    const s = await start({ port });
    expect(s.port).toBe(port);
    expect((await passwordGrant(s)).status).toBe(200);
  });
});
