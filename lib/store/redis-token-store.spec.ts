// Without ioredis installed: it is an optional dependency, needed only when the token is shared through Redis.
import { describe, expect, it, jest } from '@jest/globals';

jest.unstable_mockModule('ioredis', () => {
  throw new Error("Cannot find package 'ioredis' imported from redis-token-store.js");
});

// Loaded after the mock, and loading at all shows that nothing imports ioredis before a URL asks for it.
const { createRedisTokenStore } = await import('./redis-token-store.js');
const { EnkashAuthError } = await import('../errors/enkash-auth.error.js');

describe('createRedisTokenStore without ioredis', () => {
  it('fails with a configuration error that says what to install, naming no URL', async () => {
    const error = await createRedisTokenStore({
      url: 'redis://:pass-s3cret@localhost:6379',
      clientSecret: 'client-s3cret',
    }).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(EnkashAuthError);
    expect(error).toMatchObject({ code: 'config', retryable: false });
    const { message } = error as Error;
    expect(message).toContain('ENKASH_REDIS_URL');
    expect(message).toContain('npm install ioredis');
    expect(message).not.toContain('pass-s3cret');
    expect(message).not.toContain('client-s3cret');
  });
});
