/**
 * Why an encrypted EnKash payload could not be decrypted. Stable values: safe to switch on.
 *
 * - `empty`: there was nothing to decrypt (an empty ciphertext), or it decrypted to an empty text.
 * - `not_base64`: the ciphertext is not a base64 string.
 * - `bad_length`: the ciphertext is not a whole number of 16-byte AES blocks (truncated or not AES at all).
 * - `bad_padding`: the last block does not end in valid PKCS#7 padding: almost always the wrong key, i.e. not the
 *   client secret of the EnKash account that encrypted it.
 * - `not_json`: it decrypted, but the text is not UTF-8 JSON (the wrong key, with a 1-in-256 chance of passing the
 *   padding check, or a sender that encrypted something else).
 */
export type EnkashPayloadDecryptionReason =
  'empty' | 'not_base64' | 'bad_length' | 'bad_padding' | 'not_json';

/**
 * An encrypted EnKash payload (the `request` field of `{"request": "<ciphertext>"}`) could not be decrypted.
 * Its message names what is wrong and what to check; it never contains the ciphertext, the decrypted text (it can
 * hold bank account numbers), the key or the client secret, and it has no `cause` (a `JSON.parse` error quotes the
 * text it failed on).
 */
export class EnkashPayloadDecryptionError extends Error {
  /** What is wrong, as a stable machine-readable value. */
  readonly reason: EnkashPayloadDecryptionReason;

  constructor(reason: EnkashPayloadDecryptionReason, message: string) {
    super(message);
    this.name = 'EnkashPayloadDecryptionError';
    this.reason = reason;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
