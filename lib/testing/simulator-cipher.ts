import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

// EnKash's payload encryption, written again here rather than imported from lib/crypto: the simulator shares no code
// with the client it tests, so that a mistake in either shows up as a disagreement between them in the tests.
// AES-128-ECB is EnKash's documented choice, not ours.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** First 16 bytes of SHA-256 of the client secret's UTF-8 bytes. */
function keyOf(clientSecret: string): Buffer {
  return createHash('sha256').update(clientSecret, 'utf8').digest().subarray(0, 16);
}

/** Encrypts a text as EnKash does: AES-128-ECB, PKCS#7 padding, base64 on one line. */
export function simulatorEncrypt(plaintext: string, clientSecret: string): string {
  const cipher = createCipheriv('aes-128-ecb', keyOf(clientSecret), null);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** Decrypts what {@link simulatorEncrypt} makes; `undefined` when it is not base64, AES or UTF-8 with that key. */
export function simulatorDecrypt(ciphertext: string, clientSecret: string): string | undefined {
  const text = ciphertext.replace(/[\r\n]/g, '');
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length === 0 || bytes.length % 16 !== 0) return undefined;
  try {
    const decipher = createDecipheriv('aes-128-ecb', keyOf(clientSecret), null);
    return utf8.decode(Buffer.concat([decipher.update(bytes), decipher.final()]));
  } catch {
    return undefined;
  }
}
