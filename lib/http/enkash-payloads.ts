import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { decryptEnkashPayload, encryptEnkashJson } from '../crypto/enkash-payload-cipher.js';
import {
  envelopeMissing,
  envelopeRefused,
  requestNotEncryptable,
  responseNotDecrypted,
} from '../enkash-auth.messages.js';
import { EnkashApiError } from '../errors/enkash-api.error.js';
import type { EnkashApiErrorDetails } from '../errors/enkash-api.error.js';
import { EnkashPayloadDecryptionError } from '../errors/enkash-payload-decryption.error.js';
import { describeTarget } from './request-target.js';
import type { SecretRedactor } from './secret-redactor.js';
import { refusesToken } from './token-refused.js';

/** A registration's settings for EnKash's payload conventions. */
export interface EnkashPayloadSettings {
  /** The key of the payload encryption is derived from it. */
  readonly clientSecret: string;
  readonly unwrapEnvelopes: boolean;
  readonly encryptPayloads: boolean;
}

/** EnKash's envelope, read from either spelling EnKash's pages use. */
interface Envelope {
  readonly responseCode: number | string;
  readonly responseMessage: string | undefined;
  readonly payload: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** `{ response_code, response_message, payload }` or `{ responseCode, responseMessage, payload }`. */
function readEnvelope(data: unknown): Envelope | undefined {
  if (!isPlainObject(data)) return undefined;
  const code = data.response_code ?? data.responseCode;
  if (typeof code !== 'number' && typeof code !== 'string') return undefined;
  const message = data.response_message ?? data.responseMessage;
  return {
    responseCode: code,
    responseMessage: typeof message === 'string' ? message : undefined,
    payload: data.payload,
  };
}

/** EnKash's pages show the code as a number; a string "0" is the same success. */
function succeeded(envelope: Envelope): boolean {
  return envelope.responseCode === 0 || envelope.responseCode === '0';
}

/**
 * The ciphertext of EnKash's encrypted wrapper, `{ "request": "<ciphertext>" }`. Fields beside it (an id EnKash may
 * add) are not a reason to leave it encrypted; an envelope is never a wrapper.
 */
function ciphertextOf(data: unknown): string | undefined {
  if (!isPlainObject(data) || typeof data.request !== 'string') return undefined;
  return readEnvelope(data) === undefined ? data.request : undefined;
}

/**
 * The JSON text of a body as axios is about to send it: axios has serialized an object to JSON text already, and
 * that text is encrypted as it is. Streams, buffers, forms (multipart or urlencoded) have none.
 */
function jsonTextOf(data: unknown): string | undefined {
  if (typeof data === 'string') {
    try {
      JSON.parse(data);
      return data;
    } catch {
      return undefined;
    }
  }
  // A transformRequest of the application's own may leave data as it was given.
  if (isPlainObject(data) || Array.isArray(data)) return JSON.stringify(data);
  return undefined;
}

/** Answers that carry no body to decrypt or unwrap, whatever the call asked for. */
const BODILESS_STATUSES = new Set([204, 205, 304]);

/**
 * Whether an answer is JSON EnKash may have wrapped: not a stream, text or bytes the call asked for, not a refused
 * token (a 401, or a 403 `invalid_token`: about the token, whatever its body), not an answer without a body.
 */
function isJsonAnswer(response: AxiosResponse): boolean {
  const { config, status, data } = response;
  const responseType = config.responseType ?? 'json';
  return (
    responseType === 'json' &&
    !refusesToken(response) &&
    !BODILESS_STATUSES.has(status) &&
    config.method?.toLowerCase() !== 'head' &&
    data !== undefined &&
    data !== ''
  );
}

/**
 * EnKash's payload conventions, applied to calls to EnKash only: the body encrypted into `{ "request": ... }`, an
 * answer in that wrapper decrypted, and the `{ response_code, response_message, payload }` envelope unwrapped. Each
 * applies when the call's `enkash` option says so, else when the registration's setting does.
 */
export class EnkashPayloads {
  constructor(private readonly settings: EnkashPayloadSettings) {}

  /** Whether anything here may apply to the call: cheap, as it is asked on every call. */
  appliesTo(config: InternalAxiosRequestConfig): boolean {
    return (
      config.enkash !== undefined || this.settings.encryptPayloads || this.settings.unwrapEnvelopes
    );
  }

  /**
   * Replaces the body of a call about to be sent to EnKash with its encrypted wrapper, when the call encrypts and has
   * a body. Done at dispatch, on the URL the call really goes to, once per call: a call sent again after a 401 keeps
   * its wrapper.
   *
   * @throws EnkashApiError `unencryptable_request` when the body is not JSON; nothing is sent then.
   */
  encryptRequest(config: InternalAxiosRequestConfig): void {
    if (!this.encrypts(config) || config.data === undefined || config.data === null) return;
    const json = jsonTextOf(config.data);
    if (json === undefined) {
      throw new EnkashApiError(
        requestNotEncryptable(),
        this.details(config, 'unencryptable_request'),
      );
    }
    config.data = JSON.stringify({ request: encryptEnkashJson(json, this.settings.clientSecret) });
    config.headers.setContentType('application/json');
  }

  /**
   * Decrypts and unwraps an answer the call accepted, in place.
   *
   * @throws EnkashApiError when the envelope says the request failed, is missing, or the answer cannot be decrypted.
   */
  readAnswer(response: AxiosResponse, redactor: SecretRedactor): void {
    const { config } = response;
    if (!isJsonAnswer(response)) return;
    if (this.encrypts(config)) response.data = this.decrypted(response);
    if (!this.unwraps(config)) return;
    const envelope = readEnvelope(response.data);
    if (envelope === undefined) {
      throw new EnkashApiError(
        envelopeMissing(describeTarget(config)),
        this.details(config, 'malformed_envelope', response.status),
      );
    }
    if (!succeeded(envelope)) throw this.refused(envelope, response, redactor);
    response.data = envelope.payload;
  }

  /**
   * For an answer with an error status: its body decrypted, in place, and the `EnkashApiError` its envelope makes
   * when the call unwraps envelopes and it carries one; `undefined` otherwise (the call fails as any other would).
   */
  readErrorAnswer(response: AxiosResponse, redactor: SecretRedactor): EnkashApiError | undefined {
    const { config } = response;
    // A refused token is about the token, whatever the body says: it stays an EnkashHttpError.
    if (!isJsonAnswer(response)) return undefined;
    if (this.encrypts(config)) {
      try {
        response.data = this.decrypted(response);
      } catch (error) {
        if (!(error instanceof EnkashApiError)) throw error;
        return error;
      }
    }
    if (!this.unwraps(config)) return undefined;
    const envelope = readEnvelope(response.data);
    return envelope === undefined || succeeded(envelope)
      ? undefined
      : this.refused(envelope, response, redactor);
  }

  private encrypts(config: InternalAxiosRequestConfig): boolean {
    return config.enkash?.encryptPayload ?? this.settings.encryptPayloads;
  }

  private unwraps(config: InternalAxiosRequestConfig): boolean {
    return config.enkash?.unwrapEnvelope ?? this.settings.unwrapEnvelopes;
  }

  /** The answer's body, decrypted when it is in EnKash's wrapper (an error envelope often is not). */
  private decrypted(response: AxiosResponse): unknown {
    const ciphertext = ciphertextOf(response.data);
    if (ciphertext === undefined) return response.data;
    try {
      return decryptEnkashPayload(ciphertext, this.settings.clientSecret);
    } catch (error) {
      if (!(error instanceof EnkashPayloadDecryptionError)) throw error;
      throw new EnkashApiError(
        responseNotDecrypted(describeTarget(response.config), error.message),
        this.details(response.config, 'undecryptable_response', response.status),
      );
    }
  }

  private refused(
    envelope: Envelope,
    response: AxiosResponse,
    redactor: SecretRedactor,
  ): EnkashApiError {
    const { config } = response;
    const responseMessage =
      envelope.responseMessage === undefined ? undefined : redactor.text(envelope.responseMessage);
    return new EnkashApiError(
      envelopeRefused(describeTarget(config), envelope.responseCode, responseMessage),
      {
        ...this.details(config, 'response_code', response.status),
        responseCode: envelope.responseCode,
        ...(responseMessage !== undefined ? { responseMessage } : {}),
        payload: redactor.value(envelope.payload),
      },
    );
  }

  private details(
    config: InternalAxiosRequestConfig,
    code: EnkashApiErrorDetails['code'],
    status?: number,
  ): EnkashApiErrorDetails {
    const { method, path } = describeTarget(config);
    return { code, method, path, ...(status !== undefined ? { status } : {}) };
  }
}
