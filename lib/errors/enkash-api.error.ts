/**
 * Why an {@link EnkashApiError} was raised. Stable values: safe to switch on.
 *
 * - `response_code`: EnKash's envelope carried a `response_code` other than 0 (EnKash refused the request).
 * - `malformed_envelope`: the call asked for the envelope to be unwrapped, and the answer had none.
 * - `undecryptable_response`: the answer came in EnKash's encrypted wrapper, and it could not be decrypted (another
 *   client secret, or a damaged answer).
 * - `unencryptable_request`: the call asked for its body to be encrypted, and the body is not JSON data (a stream,
 *   a buffer, a form).
 */
export type EnkashApiErrorCode =
  'response_code' | 'malformed_envelope' | 'undecryptable_response' | 'unencryptable_request';

/** What an {@link EnkashApiError} is made of. */
export interface EnkashApiErrorDetails {
  /** Why the error was raised. */
  code: EnkashApiErrorCode;
  /** EnKash's `response_code` (`responseCode`), when its envelope had one. */
  responseCode?: number | string;
  /** EnKash's `response_message` (`responseMessage`), when its envelope had one. */
  responseMessage?: string;
  /** HTTP status of EnKash's answer (often 200 with a failing envelope), when there was an answer. */
  status?: number;
  /** HTTP method of the call, upper-cased. */
  method: string;
  /** Path of the call, without query string. */
  path: string;
  /** The envelope's `payload` on a failure, when it carried one (details of a validation error, for example). */
  payload?: unknown;
}

/**
 * EnKash answered, and the answer says the request failed: a `response_code` other than 0 in its envelope, an
 * envelope missing where the call asked to unwrap one, or an encrypted answer that cannot be decrypted. Raised by
 * `EnkashHttpService` for calls that unwrap envelopes or encrypt payloads. It never holds a token, a secret or a
 * ciphertext, and its message never holds the request body or EnKash's payload.
 */
export class EnkashApiError extends Error {
  /** Why the error was raised. */
  readonly code: EnkashApiErrorCode;
  /** EnKash's `response_code`, when its envelope had one. */
  declare readonly responseCode?: number | string;
  /** EnKash's `response_message`, when its envelope had one. */
  declare readonly responseMessage?: string;
  /** HTTP status of EnKash's answer, when there was an answer. */
  declare readonly status?: number;
  /** HTTP method of the call, upper-cased. */
  readonly method: string;
  /** Path of the call, without query string. */
  readonly path: string;
  /**
   * The envelope's `payload` on a failure, when it carried one, with known secrets masked. It may hold personal data
   * EnKash echoes (names, account numbers): it is left out of `JSON.stringify` and `util.inspect`, as loggers use them.
   */
  declare readonly payload?: unknown;

  constructor(message: string, details: EnkashApiErrorDetails) {
    super(message);
    this.name = 'EnkashApiError';
    this.code = details.code;
    this.method = details.method;
    this.path = details.path;
    // Set only when present, so that logs and inspect() output stay short.
    if (details.responseCode !== undefined) this.responseCode = details.responseCode;
    if (details.responseMessage !== undefined) this.responseMessage = details.responseMessage;
    if (details.status !== undefined) this.status = details.status;
    if (details.payload !== undefined && details.payload !== null) {
      Object.defineProperty(this, 'payload', {
        value: details.payload,
        enumerable: false,
        configurable: true,
      });
    }
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
