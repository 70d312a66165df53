import { describe, expect, it } from '@jest/globals';
import { SecretWatch } from './support/secret-watch.js';

const SECRETS = [
  { name: 'client secret', value: 's3cr3t-client' },
  { name: 'access token', value: 'tok_abcdefghijklmnop' },
];

/** An error that hides a token where only a deep or hidden look finds it. */
function errorHiding(where: 'deep' | 'hidden' | 'cause' | 'json'): Error {
  const error = new Error('a call failed');
  if (where === 'deep') {
    Object.assign(error, { a: { b: { c: { d: { e: { f: 'Bearer tok_abcdefghijklmnop' } } } } } });
  } else if (where === 'hidden') {
    Object.defineProperty(error, 'config', { value: { token: 'tok_abcdefghijklmnop' } });
  } else if (where === 'cause') {
    Object.defineProperty(error, 'cause', { value: new Error('refused tok_abcdefghijklmnop') });
  } else {
    Object.assign(error, { toJSON: () => ({ sent: 'tok_abcdefghijklmnop' }) });
  }
  return error;
}

describe('SecretWatch, the secret-hygiene check of the fault matrix and the soak', () => {
  it('finds a secret in a log line of any level, and names it without printing it', () => {
    const watch = new SecretWatch();
    watch.debug('form: client_secret=s3cr3t-client', 'EnkashAuth');
    watch.log('nothing to see');

    const leaks = watch.leaks(SECRETS);
    expect(leaks).toEqual(['client secret in log line 0 (debug)']);
    expect(leaks.join()).not.toContain('s3cr3t-client');
  });

  it.each(['deep', 'hidden', 'cause', 'json'] as const)(
    'finds a token in an error only a %s look shows',
    async (where) => {
      const watch = new SecretWatch();
      await watch.settle(Promise.reject(errorHiding(where)));
      expect(watch.leaks(SECRETS)).toEqual(['access token in error 0']);
    },
  );

  it('finds what the library would print with console', () => {
    const watch = new SecretWatch().captureConsole();
    try {
      console.warn({ header: 'Bearer tok_abcdefghijklmnop' });
    } finally {
      watch.dispose();
    }
    expect(watch.leaks(SECRETS)).toEqual(['access token in log line 0 (console)']);
  });

  it('finds nothing where there is nothing', async () => {
    const watch = new SecretWatch();
    watch.warn('token renewal failed (server_error); retrying in 812 ms');
    await watch.settle(Promise.reject(new Error('EnKash answered 500')));
    expect(watch.leaks(SECRETS)).toEqual([]);
  });
});
