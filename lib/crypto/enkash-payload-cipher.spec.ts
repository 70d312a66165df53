import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { EnkashPayloadDecryptionError } from '../errors/enkash-payload-decryption.error.js';
import { thrownBy } from '../../test/support/thrown.js';
import {
  decryptEnkashPayload,
  encryptEnkashPayload,
  enkashPayloadKey,
} from './enkash-payload-cipher.js';

/**
 * A payload with the ciphertext the openssl CLI gave for its JSON text. Each `command` is the exact command that
 * produced `ciphertext` (OpenSSL 3.0, `-A`: base64 on one line); `json` is the text it encrypted, which must be
 * what `JSON.stringify(payload)` gives.
 */
interface KnownAnswer {
  name: string;
  secret: string;
  payload: unknown;
  json: string;
  command: string;
  ciphertext: string;
}

const PAYOUT = {
  beneficiaryName: 'José Müller',
  accountNumber: '000123456789',
  ifsc: 'HDFC0001234',
  amount: 1500.5,
  currency: '₹',
  remarks: 'Frais été',
};

const KNOWN_ANSWERS: KnownAnswer[] = [
  {
    name: 'a short object',
    secret: 'sim-client-secret',
    payload: { a: 1 },
    json: '{"a":1}',
    command: `printf '%s' '{"a":1}' | openssl enc -aes-128-ecb -K "$(printf '%s' 'sim-client-secret' | sha256sum | cut -c1-32)" -base64 -A`,
    ciphertext: '1RhBNb5u50j5eFvXLh2SPg==',
  },
  {
    name: 'a payout with accents and a rupee sign (several blocks)',
    secret: 'enkash-uat-secret-42',
    payload: PAYOUT,
    json: '{"beneficiaryName":"José Müller","accountNumber":"000123456789","ifsc":"HDFC0001234","amount":1500.5,"currency":"₹","remarks":"Frais été"}',
    command: `printf '%s' '{"beneficiaryName":"José Müller","accountNumber":"000123456789","ifsc":"HDFC0001234","amount":1500.5,"currency":"₹","remarks":"Frais été"}' | openssl enc -aes-128-ecb -K "$(printf '%s' 'enkash-uat-secret-42' | sha256sum | cut -c1-32)" -base64 -A`,
    ciphertext:
      'MLpYiF71lmYYh/B4icYWA0DqtS8dBcZpUyCvLizpXDhWyhqHJVLx8+zfApwE0669T6zclz93a1DGhx14pCVUdZgC3lVazB6LEdk1ikD0BKmv' +
      '2OtqdfKChV87lafdprBkiQ656rcu/wJfw1fZnCzMin/gb1CX2xRzidwTg/AZki4rUoqHChSONY72uL7sSBzUkvHwxskCc0S6UL+UPWIWgA==',
  },
  {
    name: 'exactly 16 bytes (a whole block of padding follows)',
    secret: 'enkash-uat-secret-42',
    payload: { amount: 12345 },
    json: '{"amount":12345}',
    command: `printf '%s' '{"amount":12345}' | openssl enc -aes-128-ecb -K "$(printf '%s' 'enkash-uat-secret-42' | sha256sum | cut -c1-32)" -base64 -A`,
    ciphertext: 'yYbvRJZ/M/MgL/AcN+Lkp5Lx8MbJAnNEulC/lD1iFoA=',
  },
  {
    name: 'an empty object',
    secret: 'enkash-uat-secret-42',
    payload: {},
    json: '{}',
    command: `printf '%s' '{}' | openssl enc -aes-128-ecb -K "$(printf '%s' 'enkash-uat-secret-42' | sha256sum | cut -c1-32)" -base64 -A`,
    ciphertext: 'ViMJcGvtg68ufM8OPQu+HQ==',
  },
  {
    name: 'a secret with non-ASCII characters',
    secret: 'sécret-₹-ключ',
    payload: { ok: true },
    json: '{"ok":true}',
    command: `printf '%s' '{"ok":true}' | openssl enc -aes-128-ecb -K "$(printf '%s' 'sécret-₹-ключ' | sha256sum | cut -c1-32)" -base64 -A`,
    ciphertext: 'qlNhiZ2R1iplQEza7LNpfw==',
  },
];

/** Runs the openssl binary, `input` on its stdin; CI installs it (.ci/run), so a missing binary fails the test. */
function openssl(args: string[], input: string): string {
  try {
    return execFileSync('openssl', args, { input, encoding: 'utf8' });
  } catch (error) {
    throw new Error(`openssl ${args[0]} failed (is the openssl binary installed?)`, {
      cause: error,
    });
  }
}

/** The AES key as openssl computes it: the first 32 hex digits of its own SHA-256 of the secret. */
function opensslKeyHex(secret: string): string {
  return openssl(['dgst', '-sha256', '-r'], secret).slice(0, 32);
}

function randomText(length: number): string {
  const alphabet = 'aZ09 ,.:"\\/{}[]-éüñ₹ключ中文😀\n\t';
  const chars = [...alphabet];
  return Array.from({ length }, () => chars[randomInt(chars.length)]).join('');
}

/** The first `count` bytes of a base64 text, in base64. */
function base64Bytes(text: string, count: number): string {
  return Buffer.from(text, 'base64').subarray(0, count).toString('base64');
}

function decryptionError(ciphertext: string, secret: string): EnkashPayloadDecryptionError {
  return thrownBy(EnkashPayloadDecryptionError, () => decryptEnkashPayload(ciphertext, secret));
}

describe('enkashPayloadKey', () => {
  it('is the first 16 bytes of SHA-256 of the secret', () => {
    // printf '%s' 'sim-client-secret' | sha256sum | cut -c1-32
    expect(enkashPayloadKey('sim-client-secret').toString('hex')).toBe(
      '1cf0174a1824bad250ea9ca8737b5121',
    );
    // printf '%s' 'sécret-₹-ключ' | sha256sum | cut -c1-32
    expect(enkashPayloadKey('sécret-₹-ключ').toString('hex')).toBe(
      'f38ee51bb11e54c9c3e8be07571df27b',
    );
  });

  it('refuses an empty secret', () => {
    expect(() => enkashPayloadKey('')).toThrow(TypeError);
    expect(() => encryptEnkashPayload({}, '')).toThrow(TypeError);
    expect(() => decryptEnkashPayload('1RhBNb5u50j5eFvXLh2SPg==', '')).toThrow(TypeError);
  });
});

describe.each(KNOWN_ANSWERS)('known answer from the openssl CLI: $name', (vector) => {
  it('serializes the payload to the JSON text openssl encrypted', () => {
    expect(JSON.stringify(vector.payload)).toBe(vector.json);
  });

  it("encrypts to openssl's ciphertext", () => {
    expect(encryptEnkashPayload(vector.payload, vector.secret)).toBe(vector.ciphertext);
  });

  it("decrypts openssl's ciphertext to the payload", () => {
    expect(decryptEnkashPayload(vector.ciphertext, vector.secret)).toEqual(vector.payload);
  });
});

describe('cross-check with the openssl binary', () => {
  const secret = `${randomBytes(18).toString('base64')}-₹`;
  const payload = {
    id: randomUUID(),
    name: randomText(40),
    amount: randomInt(1, 10_000_000) / 100,
    lines: Array.from({ length: randomInt(1, 6) }, () => randomText(randomInt(0, 70))),
  };
  const json = JSON.stringify(payload);

  it('derives the key openssl derives', () => {
    expect(enkashPayloadKey(secret).toString('hex')).toBe(opensslKeyHex(secret));
  });

  it('encrypts a random payload as openssl does', () => {
    const expected = openssl(
      ['enc', '-aes-128-ecb', '-K', opensslKeyHex(secret), '-base64', '-A'],
      json,
    );
    expect(encryptEnkashPayload(payload, secret)).toBe(expected.trim());
  });

  it('decrypts what openssl encrypts, line-wrapped base64 included', () => {
    const wrapped = openssl(['enc', '-aes-128-ecb', '-K', opensslKeyHex(secret), '-base64'], json);
    expect(wrapped.trim()).toContain('\n');
    expect(decryptEnkashPayload(wrapped, secret)).toEqual(payload);
  });

  it('encrypts what openssl decrypts', () => {
    const ciphertext = encryptEnkashPayload(payload, secret);
    const args = ['enc', '-d', '-aes-128-ecb', '-K', opensslKeyHex(secret), '-base64', '-A'];
    expect(openssl(args, ciphertext)).toBe(json);
  });
});

describe('round trips', () => {
  const secret = 'round-trip-secret';

  it.each([
    ['a nested payout', { payout: PAYOUT, items: [1, 'two', null, { three: [3] }] }],
    ['an array', [PAYOUT, PAYOUT]],
    ['a string', 'José ₹ 😀'],
    ['a number', 42.5],
    ['null', null],
    ['a large payload', { text: randomText(20_000) }],
  ])('gives back %s', (_name, payload) => {
    const ciphertext = encryptEnkashPayload(payload, secret);
    expect(ciphertext).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(ciphertext, 'base64').length % 16).toBe(0);
    expect(decryptEnkashPayload(ciphertext, secret)).toEqual(payload);
  });

  it('uses a different key for each secret', () => {
    expect(encryptEnkashPayload(PAYOUT, 'secret-a')).not.toBe(
      encryptEnkashPayload(PAYOUT, 'secret-b'),
    );
    // The keys are cached per secret: alternating between accounts must not mix them up.
    for (const name of ['a', 'b', 'a', 'b']) {
      const ciphertext = encryptEnkashPayload({ name }, `secret-${name}`);
      expect(decryptEnkashPayload(ciphertext, `secret-${name}`)).toEqual({ name });
    }
  });

  it('refuses a payload that has no JSON form', () => {
    expect(() => encryptEnkashPayload(undefined, secret)).toThrow(TypeError);
    expect(() => encryptEnkashPayload(() => 1, secret)).toThrow(TypeError);
    expect(() => encryptEnkashPayload({ amount: 1n }, secret)).toThrow(TypeError);
  });
});

describe('when the ciphertext cannot be decrypted', () => {
  const secret = 'sim-client-secret';
  const keyHex = '1cf0174a1824bad250ea9ca8737b5121';

  it.each([
    { name: 'empty', ciphertext: '', reason: 'empty' },
    { name: 'only line breaks', ciphertext: '\r\n', reason: 'empty' },
    { name: 'not base64', ciphertext: 'this is not base64!', reason: 'not_base64' },
    {
      name: 'base64url rather than base64',
      ciphertext: 'yYbvRJZ_M_MgL_AcN-Lkp5Lx8MbJAnNEulC_lD1iFoA=',
      reason: 'not_base64',
    },
    { name: 'a lone padding', ciphertext: '==', reason: 'bad_length' },
    {
      name: 'truncated by a byte',
      ciphertext: base64Bytes('yYbvRJZ/M/MgL/AcN+Lkp5Lx8MbJAnNEulC/lD1iFoA=', 31),
      reason: 'bad_length',
    },
    {
      name: 'not a whole block',
      ciphertext: Buffer.from('twelve bytes').toString('base64'),
      reason: 'bad_length',
    },
    // printf '%s' '{"amount":12345}' | openssl enc -aes-128-ecb -K "$(printf '%s' 'enkash-uat-secret-42' | sha256sum | cut -c1-32)" -base64 -A
    {
      name: 'encrypted with another secret',
      ciphertext: 'yYbvRJZ/M/MgL/AcN+Lkp5Lx8MbJAnNEulC/lD1iFoA=',
      reason: 'bad_padding',
    },
    // printf '%s' '' | openssl enc -aes-128-ecb -K "$(printf '%s' 'sim-client-secret' | sha256sum | cut -c1-32)" -base64 -A
    {
      name: 'the encryption of an empty text',
      ciphertext: 'Mcp2JpSZGAoK4qBN/7qQAw==',
      reason: 'empty',
    },
    // printf '%s' 'account 000123456789 is not JSON' | openssl enc -aes-128-ecb -K "$(printf '%s' 'sim-client-secret' | sha256sum | cut -c1-32)" -base64 -A
    {
      name: 'not JSON once decrypted',
      ciphertext: '2vz1pIAbJ88JKh3N93O2U+99GSUIeIQCd+GDzCP+CYQxynYmlJkYCgrioE3/upAD',
      reason: 'not_json',
    },
  ])('$name: reason $reason', ({ ciphertext, reason }) => {
    const error = decryptionError(ciphertext, secret);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('EnkashPayloadDecryptionError');
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(/^EnKash payload could not be decrypted: /);
    expect(error.cause).toBeUndefined();
    const shown = `${error.message} ${String(error.stack)}`;
    for (const secretThing of [secret, keyHex, '000123456789']) {
      expect(shown).not.toContain(secretThing);
    }
    if (ciphertext.length > 4) expect(shown).not.toContain(ciphertext);
  });

  it('says which setting to check when the key does not match', () => {
    const error = decryptionError('yYbvRJZ/M/MgL/AcN+Lkp5Lx8MbJAnNEulC/lD1iFoA=', secret);
    expect(error.message).toContain('ENKASH_CLIENT_SECRET');
  });

  it('is not mistaken for an answer in another encoding (a plain JSON text)', () => {
    expect(decryptionError('{"response_code":0}', secret).reason).toBe('not_base64');
  });
});
