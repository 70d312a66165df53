/**
 * EnKash's payload encryption (Payouts; Cards and Rewards too): a request body is sent as
 * `{"request": "<ciphertext>"}` and the answer comes back in the same wrapper.
 *
 * The scheme is EnKash's, not ours: AES-128 in ECB mode with PKCS#7 padding and no IV, the key being the first 16
 * bytes of SHA-256(client secret), base64 output. ECB encrypts equal 16-byte blocks to equal ciphertext blocks, so it
 * leaks the structure of the plaintext; we use it only because it is EnKash's documented wire format, and nothing
 * else in this library should.
 * @module
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type KeyObject,
} from 'node:crypto';
import { payloadNotDecrypted } from '../enkash-auth.messages.js';
import {
  EnkashPayloadDecryptionError,
  type EnkashPayloadDecryptionReason,
} from '../errors/enkash-payload-decryption.error.js';

const ALGORITHM = 'aes-128-ecb';
const KEY_BYTES = 16;
const BLOCK_BYTES = 16;
/** Standard base64 (not base64url); padding optional, as some encoders drop it. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Line breaks that MIME-style encoders (Java's, openssl's) insert every 64 or 76 characters. */
const LINE_BREAKS = /[\r\n]/g;
/** Registrations are few; the bound only keeps a program that invents secrets from growing without limit. */
const MAX_CACHED_KEYS = 16;

const keys = new Map<string, KeyObject>();
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The AES-128 key EnKash derives from a client secret: the first 16 bytes of the SHA-256 digest of its UTF-8 bytes.
 * A new buffer on each call; {@link encryptEnkashPayload} and {@link decryptEnkashPayload} keep their own copy.
 * @throws TypeError when `clientSecret` is not a non-empty string.
 */
export function enkashPayloadKey(clientSecret: string): Buffer {
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw new TypeError('clientSecret must be a non-empty string to encrypt EnKash payloads');
  }
  return createHash('sha256').update(clientSecret, 'utf8').digest().subarray(0, KEY_BYTES);
}

/** The key for a secret, hashed once: every encrypted call needs it twice (request and answer). */
function keyFor(clientSecret: string): KeyObject {
  let key = keys.get(clientSecret);
  if (key === undefined) {
    key = createSecretKey(enkashPayloadKey(clientSecret));
    if (keys.size >= MAX_CACHED_KEYS) keys.clear();
    keys.set(clientSecret, key);
  }
  return key;
}

/**
 * Encrypts a payload the way EnKash expects it: the JSON text of `payload`, AES-128-ECB with the key derived from
 * `clientSecret` (see {@link enkashPayloadKey}), in base64 on one line. Send the result as `{"request": <it>}`.
 * Pass the payload itself, not its JSON text: a string is encrypted as a JSON string.
 * @throws TypeError when `payload` has no JSON form (`undefined`, a function, a `BigInt`, a cycle), or when
 *   `clientSecret` is not a non-empty string.
 */
export function encryptEnkashPayload(payload: unknown, clientSecret: string): string {
  const json: unknown = JSON.stringify(payload);
  if (typeof json !== 'string') {
    throw new TypeError(`An EnKash payload must have a JSON form; got ${typeof payload}`);
  }
  return encryptEnkashJson(json, clientSecret);
}

/**
 * @internal Encrypts JSON text as it is, for a body axios has already serialized: parsing and serializing it again
 * could change it (a number beyond 2^53 would lose digits).
 */
export function encryptEnkashJson(json: string, clientSecret: string): string {
  const cipher = createCipheriv(ALGORITHM, keyFor(clientSecret), null);
  return Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]).toString('base64');
}

/**
 * Decrypts a payload encrypted the way EnKash does (the `request` field of its `{"request": "<ciphertext>"}`
 * answers) and parses its JSON text. Line breaks in the base64 text are ignored.
 * @returns the parsed JSON, normally EnKash's envelope `{"response_code": 0, "response_message": ..., "payload": ...}`.
 * @throws EnkashPayloadDecryptionError when it cannot be decrypted; its `reason` says why, and its message never
 *   holds the ciphertext, the decrypted text, the key or the secret.
 * @throws TypeError when `clientSecret` is not a non-empty string.
 */
export function decryptEnkashPayload(ciphertext: string, clientSecret: string): unknown {
  const key = keyFor(clientSecret);
  const bytes = decodeBase64(ciphertext);
  if (bytes.length === 0 || bytes.length % BLOCK_BYTES !== 0) fail('bad_length');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv(ALGORITHM, key, null);
    plain = Buffer.concat([decipher.update(bytes), decipher.final()]);
  } catch {
    // With ECB and a whole number of blocks, final() can only fail on the padding check.
    return fail('bad_padding');
  }
  if (plain.length === 0) fail('empty');
  try {
    return JSON.parse(utf8.decode(plain)) as unknown;
  } catch {
    // Not rethrown nor kept as a cause: JSON.parse's message quotes the text it failed on.
    return fail('not_json');
  }
}

function decodeBase64(ciphertext: unknown): Buffer {
  if (typeof ciphertext !== 'string') return fail('not_base64');
  const text = ciphertext.replace(LINE_BREAKS, '');
  if (text === '') return fail('empty');
  // Buffer.from skips characters that are not base64 instead of failing, hence the check first.
  if (!BASE64.test(text) || text.length % 4 === 1) return fail('not_base64');
  return Buffer.from(text, 'base64');
}

function fail(reason: EnkashPayloadDecryptionReason): never {
  throw new EnkashPayloadDecryptionError(reason, payloadNotDecrypted(reason));
}
