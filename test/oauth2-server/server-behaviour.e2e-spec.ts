// The library against a real, independent OAuth2 server: django-oauth-toolkit 1.7 (Debian's
// python3-django-oauth-toolkit), with the password and refresh grants, client_secret_basic, refresh-token rotation
// and RFC 7009 revocation. First what the server itself does, so that a change of the server shows up here rather
// than as a mystery in the library's scenarios below.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  OAUTH2_ADMIN_PATH,
  OAUTH2_BALANCE_403_PATH,
  OAUTH2_BALANCE_PATH,
  startOAuth2Server,
  tokenRequestsOf,
} from '../support/oauth2-server.js';
import type { OAuth2Answer, OAuth2Server } from '../support/oauth2-server.js';

interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
}

function pairOf(answer: OAuth2Answer): TokenPair {
  expect(answer.status).toBe(200);
  return JSON.parse(answer.body) as TokenPair;
}

/** A GET of `path` with `token`, on a connection of its own. */
async function resourceCall(
  server: OAuth2Server,
  path: string,
  token: string,
): Promise<{ status: number; wwwAuthenticate: string | null; body: string }> {
  const response = await fetch(`${server.url}${path}`, {
    headers: { Authorization: `Bearer ${token}`, Connection: 'close' },
  });
  return {
    status: response.status,
    wwwAuthenticate: response.headers.get('www-authenticate'),
    body: await response.text(),
  };
}

describe('the OAuth2 server itself (django-oauth-toolkit 1.7)', () => {
  let server: OAuth2Server;

  beforeAll(async () => {
    server = await startOAuth2Server({ accessTokenSeconds: 30 });
  });

  afterAll(async () => {
    await server?.close();
  });

  const passwordGrant = (password = server.password): Promise<OAuth2Answer> =>
    server.tokenRequest({ grant_type: 'password', username: server.username, password });
  const refreshGrant = (refreshToken: string): Promise<OAuth2Answer> =>
    server.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });

  it('hands out a new pair on every password grant, with the lifetime it was started with', async () => {
    const first = pairOf(await passwordGrant());
    const second = pairOf(await passwordGrant());
    expect(first).toMatchObject({ expires_in: 30, token_type: 'Bearer', scope: 'read write' });
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // Both pairs stay valid: a password grant revokes nothing.
    expect((await resourceCall(server, OAUTH2_BALANCE_PATH, first.access_token)).status).toBe(200);
    expect((await resourceCall(server, OAUTH2_BALANCE_PATH, second.access_token)).status).toBe(200);
  });

  it('rotates the refresh token: the refresh grant revokes the pair it used, and the used refresh token is refused', async () => {
    const first = pairOf(await passwordGrant());
    const renewed = pairOf(await refreshGrant(first.refresh_token));
    expect(renewed.refresh_token).not.toBe(first.refresh_token);
    expect((await resourceCall(server, OAUTH2_BALANCE_PATH, first.access_token)).status).toBe(401);
    expect((await resourceCall(server, OAUTH2_BALANCE_PATH, renewed.access_token)).status).toBe(
      200,
    );
    const reused = await refreshGrant(first.refresh_token);
    expect(reused.status).toBe(400);
    expect(JSON.parse(reused.body)).toEqual({ error: 'invalid_grant' });
  });

  it('answers a refused token with 401 and WWW-Authenticate: Bearer error="invalid_token" (RFC 6750)', async () => {
    const refused = await resourceCall(server, OAUTH2_BALANCE_PATH, 'not-a-token');
    expect(refused.status).toBe(401);
    expect(refused.wwwAuthenticate).toMatch(/^Bearer .*error="invalid_token"/);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'invalid_token' });
  });

  it('answers a refused token with 403 and the same WWW-Authenticate on the 403 path', async () => {
    const refused = await resourceCall(server, OAUTH2_BALANCE_403_PATH, 'not-a-token');
    expect(refused.status).toBe(403);
    expect(refused.wwwAuthenticate).toMatch(/^Bearer .*error="invalid_token"/);
  });

  it('answers a valid token without the scope a resource needs with a plain 403', async () => {
    const pair = pairOf(await passwordGrant());
    const forbidden = await resourceCall(server, OAUTH2_ADMIN_PATH, pair.access_token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.wwwAuthenticate).toBeNull();
    expect(JSON.parse(forbidden.body)).toEqual({
      response_code: 403,
      response_message: 'APIs not enabled',
    });
  });

  it('answers a refresh grant whose access token was revoked with a 500 page (a bug of this version)', async () => {
    const pair = pairOf(await passwordGrant());
    await server.revoke(pair.access_token, 'access_token');
    expect((await resourceCall(server, OAUTH2_BALANCE_PATH, pair.access_token)).status).toBe(401);
    // The revocation deleted the access token and left its refresh token pointing at nothing: looking up the scopes
    // of the refresh grant raises AccessToken.DoesNotExist, every time.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refresh = await refreshGrant(pair.refresh_token);
      expect(refresh.status).toBe(500);
      expect(refresh.headers['content-type']).toMatch(/^text\/html/);
      expect(refresh.body).toContain('Server Error (500)');
    }
    // The password grant still works.
    pairOf(await passwordGrant());
  });

  it('refuses the refresh grant after its refresh token was revoked (and its access token with it)', async () => {
    const pair = pairOf(await passwordGrant());
    await server.revoke(pair.refresh_token, 'refresh_token');
    expect((await resourceCall(server, OAUTH2_BALANCE_PATH, pair.access_token)).status).toBe(401);
    const refresh = await refreshGrant(pair.refresh_token);
    expect(refresh.status).toBe(400);
    expect(JSON.parse(refresh.body)).toEqual({ error: 'invalid_grant' });
  });

  it('refuses a wrong password with 400 invalid_grant, and a wrong client secret with 401 invalid_client', async () => {
    const badPassword = await passwordGrant('not the password');
    expect(badPassword.status).toBe(400);
    expect(JSON.parse(badPassword.body)).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid credentials given.',
    });
    const badSecret = await server.tokenRequest(
      { grant_type: 'password', username: server.username, password: server.password },
      'not-the-secret',
    );
    expect(badSecret.status).toBe(401);
    expect(badSecret.headers['www-authenticate']).toBe('Bearer error="invalid_client"');
    expect(JSON.parse(badSecret.body)).toEqual({ error: 'invalid_client' });
  });

  it('keeps its tokens across a stop and a start on the same port, and refuses connections in between', async () => {
    const pair = pairOf(await passwordGrant());
    await server.stop();
    await expect(fetch(`${server.url}${OAUTH2_BALANCE_PATH}`)).rejects.toThrow();
    await server.start();
    expect((await resourceCall(server, OAUTH2_BALANCE_PATH, pair.access_token)).status).toBe(200);
  });

  it('counts token requests by grant and status in its test-only bookkeeping', async () => {
    await server.resetStats();
    pairOf(await passwordGrant());
    await passwordGrant('not the password');
    const stats = await server.stats();
    expect(tokenRequestsOf(stats, 'password')).toBe(2);
    expect(tokenRequestsOf(stats, 'password', 400)).toBe(1);
    expect(
      stats.tokenRequests.map(({ grant, status, error }) => ({ grant, status, error })),
    ).toEqual([
      { grant: 'password', status: 200, error: null },
      { grant: 'password', status: 400, error: 'invalid_grant' },
    ]);
    expect(stats.tokenRequestsByGrant).toEqual({ password: { '200': 1, '400': 1 } });
  });
});
