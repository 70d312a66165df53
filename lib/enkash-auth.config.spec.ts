import { describe, expect, it } from '@jest/globals';
import { EnkashAuthError } from './errors/enkash-auth.error.js';
import { readEnkashOptionsFromEnvironment } from './enkash-auth.config.js';
import { resolveEnkashAuthOptions } from './enkash-auth.options.js';

const validEnvironment = {
  ENKASH_BASE_URL: 'https://ekpayout-uat.enkash.in/',
  ENKASH_CLIENT_ID: 'CEK1GZBO6A',
  ENKASH_CLIENT_SECRET: 'the-client-secret',
  ENKASH_USERNAME: 'ops@example.com',
  ENKASH_PASSWORD: 'Test@1234567',
};

function configErrorFor(environment: Record<string, string | undefined>): EnkashAuthError {
  try {
    readEnkashOptionsFromEnvironment({ ...validEnvironment, ...environment });
  } catch (error) {
    if (error instanceof EnkashAuthError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('enkashConfig: reading ENKASH_* variables', () => {
  it('applies the documented defaults', () => {
    expect(readEnkashOptionsFromEnvironment(validEnvironment)).toEqual({
      baseUrl: 'https://ekpayout-uat.enkash.in',
      clientId: 'CEK1GZBO6A',
      clientSecret: 'the-client-secret',
      username: 'ops@example.com',
      password: 'Test@1234567',
      tokenPath: '/oauth/token',
      refreshBeforeExpirySeconds: 300,
      tokenRequestTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      acquireOnStartup: true,
    });
  });

  it('reads the optional variables', () => {
    expect(
      readEnkashOptionsFromEnvironment({
        ...validEnvironment,
        ENKASH_TOKEN_PATH: '/auth/oauth/token',
        ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS: '600',
        ENKASH_TOKEN_TIMEOUT_MS: '2500',
        ENKASH_REQUEST_TIMEOUT_MS: '45000',
        ENKASH_ACQUIRE_ON_STARTUP: 'false',
      }),
    ).toMatchObject({
      tokenPath: '/auth/oauth/token',
      refreshBeforeExpirySeconds: 600,
      tokenRequestTimeoutMs: 2500,
      requestTimeoutMs: 45_000,
      acquireOnStartup: false,
    });
  });

  it('names every missing variable at once', () => {
    const error = configErrorFor({ ENKASH_CLIENT_SECRET: undefined, ENKASH_PASSWORD: undefined });
    expect(error.code).toBe('config');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('ENKASH_CLIENT_SECRET is required');
    expect(error.message).toContain('ENKASH_PASSWORD is required');
  });

  it('treats empty and whitespace-only values as missing', () => {
    const error = configErrorFor({ ENKASH_USERNAME: '', ENKASH_CLIENT_ID: '  \t' });
    expect(error.message).toContain('ENKASH_USERNAME is required (it is empty or only whitespace)');
    expect(error.message).toContain(
      'ENKASH_CLIENT_ID is required (it is empty or only whitespace)',
    );
  });

  it('rejects a secret with stray whitespace without printing it', () => {
    const error = configErrorFor({ ENKASH_PASSWORD: 'Test@1234567 ' });
    expect(error.message).toContain('ENKASH_PASSWORD has leading or trailing whitespace');
    expect(error.message).not.toContain('Test@1234567');
  });

  it.each([
    ['not a url', 'must be an absolute URL'],
    ['http://ekpayout-uat.enkash.in', 'must use https://'],
    ['ftp://127.0.0.1', 'must use https://'],
    ['https://user:pw@api.enkash.in', 'must not contain credentials'],
    ['https://api.enkash.in/?x=1', 'must not contain a query string'],
  ])('rejects ENKASH_BASE_URL=%s', (baseUrl, problem) => {
    expect(configErrorFor({ ENKASH_BASE_URL: baseUrl }).message).toContain(
      `ENKASH_BASE_URL ${problem}`,
    );
  });

  it.each(['http://127.0.0.1:8080', 'http://localhost:3000', 'http://[::1]:9000'])(
    'allows plain http for the loopback host %s',
    (baseUrl) => {
      expect(
        readEnkashOptionsFromEnvironment({ ...validEnvironment, ENKASH_BASE_URL: baseUrl }).baseUrl,
      ).toBe(baseUrl);
    },
  );

  it.each(['0', '-5', '1.5', 'ten', '99999999999'])(
    'rejects ENKASH_TOKEN_TIMEOUT_MS=%s',
    (value) => {
      expect(configErrorFor({ ENKASH_TOKEN_TIMEOUT_MS: value }).message).toContain(
        'ENKASH_TOKEN_TIMEOUT_MS must be a positive whole number',
      );
    },
  );

  it('rejects a non-numeric ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS', () => {
    expect(configErrorFor({ ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS: 'soon' }).message).toContain(
      'ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS must be a positive whole number',
    );
  });

  it('rejects a token path that is not a path', () => {
    expect(configErrorFor({ ENKASH_TOKEN_PATH: 'oauth/token' }).message).toContain(
      'ENKASH_TOKEN_PATH must be a path starting with "/"',
    );
  });
});

describe('forRoot options validation', () => {
  it('names the option, not the variable', () => {
    expect(() =>
      resolveEnkashAuthOptions({
        baseUrl: 'https://api.enkash.in',
        clientId: 'id',
        clientSecret: 'secret',
        username: 'user',
        password: 'password',
        refreshBeforeExpirySeconds: -1,
      }),
    ).toThrow('refreshBeforeExpirySeconds must be a positive whole number');
  });
});
