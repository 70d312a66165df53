import { execFileSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { tokenCipher } from './token-at-rest.js';

const SECRET = 'enkash-uat-secret-42';
const ACCOUNT = 'a1b2c3d4e5f6';
const REDIS_KEY = `enkash-auth:token:{${ACCOUNT}}`;
const TOKENS = JSON.stringify({ accessToken: 'access-9f8e7d', refreshToken: 'refresh-6c5b4a' });

/**
 * The key as OpenSSL 3 derives it (`openssl kdf ... HKDF`), from the documented inputs: HKDF-SHA256 over the client
 * secret, an empty salt, and the info `nestjs-enkash-auth token at rest\0aes-256-gcm key\0<store key>`.
 */
function keyFromOpenssl(secret: string, account: string): Buffer {
  const info = Buffer.from(`nestjs-enkash-auth token at rest\0aes-256-gcm key\0${account}`);
  const output = execFileSync(
    'openssl',
    [
      'kdf',
      '-keylen',
      '32',
      '-kdfopt',
      'digest:SHA256',
      '-kdfopt',
      `key:${secret}`,
      '-kdfopt',
      'salt:',
      '-kdfopt',
      `hexinfo:${info.toString('hex')}`,
      'HKDF',
    ],
    { encoding: 'utf8' },
  );
  return Buffer.from(output.trim().replace(/:/g, ''), 'hex');
}

/** A sealed value opened by hand, from its documented layout: `v1:<key id>:<base64url of IV, ciphertext, tag>`. */
function openByHand(value: string, key: Buffer, boundTo: string): string {
  const [format, , body] = value.split(':');
  expect(format).toBe('v1');
  const sealed = Buffer.from(body ?? '', 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([
    decipher.update(sealed.subarray(12, sealed.length - 16)),
    decipher.final(),
  ]).toString('utf8');
}

describe('the token at rest', () => {
  it('is AES-256-GCM under the key HKDF gives for the client secret and the account, bound to its Redis key', () => {
    const value = tokenCipher(SECRET, ACCOUNT).seal(TOKENS, REDIS_KEY);
    expect(openByHand(value, keyFromOpenssl(SECRET, ACCOUNT), REDIS_KEY)).toBe(TOKENS);
  });

  it('holds neither token, nor the secret, in what is stored', () => {
    const value = tokenCipher(SECRET, ACCOUNT).seal(TOKENS, REDIS_KEY);
    for (const secret of ['access-9f8e7d', 'refresh-6c5b4a', SECRET]) {
      expect(value).not.toContain(secret);
      expect(Buffer.from(value.split(':')[2] ?? '', 'base64url').toString('latin1')).not.toContain(
        secret,
      );
    }
  });

  it('is opened by every replica of the account, each deriving the key on its own', () => {
    const value = tokenCipher(SECRET, ACCOUNT).seal(TOKENS, REDIS_KEY);
    expect(tokenCipher(SECRET, ACCOUNT).open(value, REDIS_KEY)).toEqual({
      ok: true,
      plaintext: TOKENS,
    });
  });

  it('differs each time one token is sealed (a random IV): nothing may compare stored values', () => {
    const cipher = tokenCipher(SECRET, ACCOUNT);
    const values = new Set(Array.from({ length: 20 }, () => cipher.seal(TOKENS, REDIS_KEY)));
    expect(values.size).toBe(20);
    for (const value of values) expect(value.startsWith(cipher.prefix)).toBe(true);
  });

  it('starts with a key id that is the same for the account everywhere, and differs for another key', () => {
    const { prefix } = tokenCipher(SECRET, ACCOUNT);
    expect(prefix).toMatch(/^v1:[\w-]{11}:$/);
    expect(tokenCipher(SECRET, ACCOUNT).prefix).toBe(prefix);
    expect(tokenCipher('another-secret', ACCOUNT).prefix).not.toBe(prefix);
    expect(tokenCipher(SECRET, 'another-account').prefix).not.toBe(prefix);
  });

  describe('a value that cannot be opened', () => {
    const value = tokenCipher(SECRET, ACCOUNT).seal(TOKENS, REDIS_KEY);

    it('under another client secret is sealed under another key', () => {
      expect(tokenCipher('rotated-secret', ACCOUNT).open(value, REDIS_KEY)).toEqual({
        ok: false,
        reason: 'other-key',
      });
    });

    it("of another account, copied under this one's key, is sealed under another key", () => {
      const other = tokenCipher(SECRET, 'another-account').seal(TOKENS, 'enkash-auth:token:{x}');
      expect(tokenCipher(SECRET, ACCOUNT).open(other, REDIS_KEY)).toEqual({
        ok: false,
        reason: 'other-key',
      });
    });

    it('moved to another Redis key (another prefix) fails authentication', () => {
      expect(tokenCipher(SECRET, ACCOUNT).open(value, `my-app:token:{${ACCOUNT}}`)).toEqual({
        ok: false,
        reason: 'altered',
      });
    });

    it('with any byte changed, or cut short, fails authentication', () => {
      const cipher = tokenCipher(SECRET, ACCOUNT);
      const body = Buffer.from(value.slice(cipher.prefix.length), 'base64url');
      for (let index = 0; index < body.length; index += 1) {
        const altered = Buffer.from(body);
        altered[index] = altered[index]! ^ 0x01;
        expect(cipher.open(cipher.prefix + altered.toString('base64url'), REDIS_KEY)).toEqual({
          ok: false,
          reason: 'altered',
        });
      }
      for (const cut of [value.slice(0, -4), cipher.prefix, `${cipher.prefix}AAAA`]) {
        expect(cipher.open(cut, REDIS_KEY)).toEqual({ ok: false, reason: 'altered' });
      }
    });

    it('in clear text, as a version before encryption stored it, is not encrypted', () => {
      expect(tokenCipher(SECRET, ACCOUNT).open(TOKENS, REDIS_KEY)).toEqual({
        ok: false,
        reason: 'not-encrypted',
      });
    });
  });
});
