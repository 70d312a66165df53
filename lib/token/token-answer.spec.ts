import { describe, expect, it } from '@jest/globals';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { thrownBy } from '../../test/support/thrown.js';
import { interpretTokenAnswer } from './token-answer.js';

const url = 'https://ekpayout-uat.enkash.in/oauth/token';

function read(
  status: number,
  body: unknown,
  grant: 'password' | 'refresh_token' = 'password',
  retryAfter?: string,
) {
  return interpretTokenAnswer(
    { status, body: typeof body === 'string' ? body : JSON.stringify(body), retryAfter },
    grant,
    url,
    ['s3cret', 'p@ss word', 'pässwörd!', 'refresh-abc', 'zzabczz', 'abc', 'user@example.com'],
  );
}

function errorOf(...args: Parameters<typeof read>): EnkashAuthError {
  return thrownBy(EnkashAuthError, () => read(...args));
}

describe('reading token answers', () => {
  it("reads EnKash's documented snake_case answer", () => {
    expect(
      read(200, {
        access_token: 'bCFIP675fIyGKIf6CWak43LF1rI',
        token_type: 'bearer',
        refresh_token: 'i2UQSYGeDZPogy_V6szNOi5Q0W0',
        expires_in: 86399,
        scope: 'read write trust',
      }),
    ).toEqual({
      accessToken: 'bCFIP675fIyGKIf6CWak43LF1rI',
      refreshToken: 'i2UQSYGeDZPogy_V6szNOi5Q0W0',
      lifetimeMs: 86_399_000,
      lifetimeAssumed: false,
      scope: 'read write trust',
    });
  });

  it('reads the camelCase answer some EnKash pages show', () => {
    expect(
      read(200, { accessToken: 'a', tokenType: 'Bearer', refreshToken: 'r', expiresIn: '120' }),
    ).toMatchObject({
      accessToken: 'a',
      refreshToken: 'r',
      lifetimeMs: 120_000,
    });
  });

  it('assumes a 5-minute lifetime when expires_in is missing', () => {
    expect(read(200, { access_token: 'a' })).toMatchObject({
      lifetimeMs: 300_000,
      lifetimeAssumed: true,
    });
  });

  describe('an odd expires_in', () => {
    const YEAR_MS = 365 * 24 * 3600_000;
    /** A 200 answer whose `expires_in` (or `expiresIn`) is the given JSON text, exactly as written. */
    const answer = (expiresInJson: string | undefined, key = 'expires_in'): string =>
      '{"access_token":"bCFIP675fIyGKIf6CWak43LF1rI","token_type":"bearer"' +
      (expiresInJson === undefined ? '' : `,"${key}":${expiresInJson}`) +
      '}';

    it.each([
      ['missing', undefined, { lifetimeMs: 300_000, lifetimeAssumed: true }],
      ['null', 'null', { lifetimeMs: 300_000, lifetimeAssumed: true }],
      ['0 (the token manager refuses it)', '0', { lifetimeMs: 0, lifetimeAssumed: false }],
      ['a numeric string', '"86399"', { lifetimeMs: 86_399_000, lifetimeAssumed: false }],
      ['a padded numeric string', '" 120 "', { lifetimeMs: 120_000, lifetimeAssumed: false }],
      ['a fraction', '86399.7', { lifetimeMs: 86_399_700, lifetimeAssumed: false }],
      ['exactly a year', '31536000', { lifetimeMs: YEAR_MS, lifetimeAssumed: false }],
      ['1e12 s, capped at a year', '1e12', { lifetimeMs: YEAR_MS, lifetimeCapped: true }],
      [
        '1e400 s (Infinity once parsed), capped',
        '1e400',
        { lifetimeMs: YEAR_MS, lifetimeCapped: true },
      ],
      ['"1e12" as a string, capped', '"1e12"', { lifetimeMs: YEAR_MS, lifetimeCapped: true }],
    ])('reads expires_in %s', (_case, expiresIn, expected) => {
      const tokenSet = read(200, answer(expiresIn));
      expect(tokenSet).toMatchObject({ accessToken: 'bCFIP675fIyGKIf6CWak43LF1rI', ...expected });
      expect('lifetimeCapped' in expected).toBe('lifetimeCapped' in tokenSet);
    });

    it.each([
      ['-1', '-1'],
      ['-0.5', '-0.5'],
      ['-1e400 (-Infinity once parsed)', '-1e400'],
      ['"abc"', '"abc"'],
      ['an empty string', '""'],
      ['a blank string', '"  "'],
      ['"-5"', '"-5"'],
      ['true', 'true'],
      ['an array', '[3600]'],
      ['an object', '{"seconds":3600}'],
    ])(
      'reports expires_in %s as a retryable malformed_response naming expires_in',
      (_case, json) => {
        const error = errorOf(200, answer(json));
        expect(error).toMatchObject({ code: 'malformed_response', retryable: true, status: 200 });
        expect(error.message).toBe(
          'EnKash token endpoint answered HTTP 200 with an invalid expires_in (not a non-negative number)',
        );
      },
    );

    it.each([
      ['0', { lifetimeMs: 0 }],
      ['"86399"', { lifetimeMs: 86_399_000 }],
      ['1e12', { lifetimeMs: YEAR_MS, lifetimeCapped: true }],
    ])('reads the camelCase expiresIn %s alike', (json, expected) => {
      expect(read(200, answer(json, 'expiresIn'))).toMatchObject(expected);
    });

    it.each(['-1', '"abc"', 'true'])('refuses the camelCase expiresIn %s alike', (json) => {
      expect(errorOf(200, answer(json, 'expiresIn'))).toMatchObject({
        code: 'malformed_response',
      });
    });

    it('prefers expires_in over expiresIn, and falls back to expiresIn when expires_in is null', () => {
      expect(read(200, { access_token: 'a', expires_in: 60, expiresIn: 120 }).lifetimeMs).toBe(
        60_000,
      );
      expect(read(200, { access_token: 'a', expires_in: null, expiresIn: 120 }).lifetimeMs).toBe(
        120_000,
      );
    });
  });

  it.each([
    ['a body that is not JSON', '<html>oops</html>'],
    ['JSON without an access token', { token_type: 'bearer', expires_in: 100 }],
    ['an empty access token', { access_token: '', expires_in: 100 }],
    ['a negative expires_in', { access_token: 'a', expires_in: -5 }],
    ['a non-numeric expires_in', { access_token: 'a', expires_in: 'soon' }],
    ['a token type other than bearer', { access_token: 'a', token_type: 'mac', expires_in: 100 }],
  ])('reports %s as a retryable malformed_response', (_case, body) => {
    expect(errorOf(200, body)).toMatchObject({
      code: 'malformed_response',
      retryable: true,
      status: 200,
    });
  });

  it('reports bad user credentials as invalid_credentials, never retryable', () => {
    expect(
      errorOf(400, { error: 'invalid_grant', error_description: 'Bad credentials' }),
    ).toMatchObject({
      code: 'invalid_credentials',
      retryable: false,
      status: 400,
      oauthError: 'invalid_grant',
      message: expect.stringContaining('Bad credentials'),
    });
  });

  it('reports a client authentication failure as invalid_client', () => {
    expect(
      errorOf(401, { error: 'unauthorized', error_description: 'Full authentication is required' }),
    ).toMatchObject({
      code: 'invalid_client',
      retryable: false,
    });
  });

  it('masks the refresh token Spring echoes in its error description', () => {
    const error = errorOf(
      400,
      { error: 'invalid_grant', error_description: 'Invalid refresh token: refresh-abc' },
      'refresh_token',
    );
    expect(error).toMatchObject({ code: 'invalid_credentials', grantType: 'refresh_token' });
    expect(error.message).not.toContain('refresh-abc');
    expect(error.message).toContain('[redacted]');
  });

  it('treats an expired refresh token (401 invalid_token) as a rejected refresh', () => {
    expect(errorOf(401, { error: 'invalid_token' }, 'refresh_token')).toMatchObject({
      code: 'invalid_credentials',
    });
  });

  it.each([
    [500, 'server_error', true],
    [502, 'server_error', true],
    [503, 'server_error', true],
    [404, 'config', true],
    [403, 'config', false],
    [405, 'config', true],
    [302, 'config', false],
  ])('maps HTTP %i to %s (retryable: %s)', (status, code, retryable) => {
    expect(errorOf(status, '<html>error</html>')).toMatchObject({ code, retryable, status });
  });

  it('treats a 4xx OAuth2 error other than bad credentials as a final configuration error', () => {
    expect(errorOf(400, { error: 'unsupported_grant_type' })).toMatchObject({
      code: 'config',
      retryable: false,
      oauthError: 'unsupported_grant_type',
    });
  });

  it('masks the password in its form-encoded shape too', () => {
    const error = errorOf(400, {
      error: 'invalid_grant',
      error_description: 'Bad credentials for password=p%40ss+word and p%40ss%20word',
    });
    expect(error.message).not.toMatch(/p%40ss|ss\+word|ss%20word/);
  });

  it('masks secrets before cutting the description short or replacing non-ASCII characters', () => {
    const error = errorOf(400, {
      error: 'invalid_grant',
      error_description: `${'x'.repeat(190)} user@example.com pässwörd! zzabczz`,
    });
    expect(error.message).not.toMatch(/user@exam|p.ssw.rd!|zz\[redacted\]zz/);
  });

  it('treats a bare 400 to the password grant as rejected credentials: never retried', () => {
    expect(
      errorOf(400, { status: 'FAILURE', message: 'Invalid username or password' }),
    ).toMatchObject({
      code: 'invalid_credentials',
      retryable: false,
      status: 400,
    });
  });

  it('treats a bare 400 to the refresh grant as final, so that the password grant takes over', () => {
    expect(errorOf(400, '<html>Bad Request</html>', 'refresh_token')).toMatchObject({
      code: 'config',
      retryable: false,
    });
  });

  it("reads a 503's Retry-After", () => {
    expect(errorOf(503, '', 'password', '3')).toMatchObject({
      code: 'server_error',
      retryAfterMs: 3000,
    });
  });

  it("reads a 429's Retry-After in seconds", () => {
    expect(errorOf(429, '', 'password', '7')).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 7000,
    });
  });
});
