// The token at rest in Redis: AES-256-GCM under a key derived with HKDF from the account's client secret, so that
// every replica of the account derives it and nothing more needs configuring, while whoever reads Redis (often shared
// by many applications) cannot call EnKash as the account.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The fixed context of the derivation. Changing it makes every stored token unreadable (replicas then read the store
 * as empty and write over it): only with a new {@link FORMAT}.
 */
const CONTEXT = 'nestjs-enkash-auth token at rest';
/** The first field of every sealed value; a value without it is not one of ours (clear text of an older version). */
const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_BYTES = 8;

/** Why a stored value could not be opened. */
export type UnreadableReason =
  /** Not in our format: clear text from a version that stored tokens so, or someone else's value. */
  | 'not-encrypted'
  /** Sealed under another key: another client secret (rotated), or another account's value copied here. */
  | 'other-key'
  /** Our key, but authentication fails: altered or truncated. */
  | 'altered';

/** What opening a stored value gave. */
export type Opened = { ok: true; plaintext: string } | { ok: false; reason: UnreadableReason };

/**
 * Seals and opens the values of one account. A sealed value is `v1:<key id>:<base64url of IV, ciphertext, tag>`; the
 * key id (derived, not the key) lets a Lua script tell a value of this key from others without reading it.
 */
export interface TokenCipher {
  /** What every value sealed by this cipher starts with: `v1:<key id>:`. */
  readonly prefix: string;
  /** `plaintext` sealed with a fresh random IV, bound to `boundTo` (the Redis key it is stored under). */
  seal(plaintext: string, boundTo: string): string;
  /** The plaintext of `value`, if it was sealed by this cipher for `boundTo` and left as it was. */
  open(value: string, boundTo: string): Opened;
}

/**
 * The cipher of the account that `account` (the store key, a hash of the account's identity) names, under a key
 * derived from `clientSecret`: each account has keys of its own, even if two shared a client secret.
 */
export function tokenCipher(clientSecret: string, account: string): TokenCipher {
  const derive = (purpose: string, bytes: number): Buffer =>
    Buffer.from(
      hkdfSync(
        'sha256',
        clientSecret,
        Buffer.alloc(0),
        `${CONTEXT}\0${purpose}\0${account}`,
        bytes,
      ),
    );
  const key = derive('aes-256-gcm key', 32);
  const prefix = `${FORMAT}:${derive('key id', KEY_ID_BYTES).toString('base64url')}:`;
  return {
    prefix,
    seal(plaintext, boundTo) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(boundTo, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return prefix + Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
    },
    open(value, boundTo) {
      if (!value.startsWith(`${FORMAT}:`)) return { ok: false, reason: 'not-encrypted' };
      if (!value.startsWith(prefix)) return { ok: false, reason: 'other-key' };
      const sealed = Buffer.from(value.slice(prefix.length), 'base64url');
      if (sealed.length < IV_BYTES + TAG_BYTES) return { ok: false, reason: 'altered' };
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(Buffer.from(boundTo, 'utf8'));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        const plaintext = Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return { ok: true, plaintext: plaintext.toString('utf8') };
      } catch {
        return { ok: false, reason: 'altered' };
      }
    },
  };
}
