import type { ServerResponse } from 'node:http';
import { simulatorDecrypt, simulatorEncrypt } from './simulator-cipher.js';
import { sendJson } from './simulator-http.js';

/** EnKash's `response_message` for a body it cannot decrypt, or a plain body where it wants ciphertext. */
export const INVALID_ENCRYPTED_REQUEST = 'Invalid encrypted request';

/** An answer of EnKash's resource APIs before its keys are cased. */
export interface Envelope {
  /** `response_code`: 0 is success. */
  code: number;
  /** `response_message`. */
  message: string;
  /** `payload`; left out of the answer when undefined. */
  payload?: unknown;
}

/** How an envelope goes out. */
export interface EnvelopeStyle {
  /** `response_code` (`'snake'`) or `responseCode` (`'camel'`). */
  casing: 'snake' | 'camel';
  /** The client secret to encrypt the answer with, when the request was encrypted; else sent as plain JSON. */
  encryptWith?: string;
}

/** What the simulator made of a resource request's body. */
export interface ResourceBody {
  /** The body was EnKash's wrapper `{"request": "<string>"}`. */
  encrypted: boolean;
  /** The wrapper's ciphertext does not decrypt to JSON with the client secret. */
  undecryptable: boolean;
  /** The body as JSON, decrypted when it was encrypted; `null` when empty, not JSON or undecryptable. */
  json: unknown;
  /** The body was empty (or blank). */
  empty: boolean;
}

/** The parsed JSON, or `undefined` (not `null`, which is JSON) when the text is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The ciphertext of a body shaped like EnKash's wrapper, and nothing else. */
function wrappedCiphertext(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const keys = Object.keys(json);
  const request = (json as { request?: unknown }).request;
  return keys.length === 1 && typeof request === 'string' ? request : undefined;
}

/** Reads a resource request's body: plain JSON, or EnKash's wrapper decrypted with the client secret. */
export function readResourceBody(text: string, clientSecret: string): ResourceBody {
  const empty = text.trim() === '';
  const json = empty ? undefined : parseJson(text);
  const ciphertext = wrappedCiphertext(json);
  if (ciphertext === undefined) {
    return { encrypted: false, undecryptable: false, json: json ?? null, empty };
  }
  const plaintext = simulatorDecrypt(ciphertext, clientSecret);
  const decrypted = plaintext === undefined ? undefined : parseJson(plaintext);
  if (decrypted === undefined) return { encrypted: true, undecryptable: true, json: null, empty };
  return { encrypted: true, undecryptable: false, json: decrypted, empty };
}

/** Sends HTTP 200 with an envelope, encrypted into `{"request": "<ciphertext>"}` when asked to. */
export function sendEnvelope(res: ServerResponse, envelope: Envelope, style: EnvelopeStyle): void {
  const { code, message, payload } = envelope;
  const answer: Record<string, unknown> =
    style.casing === 'camel'
      ? { responseCode: code, responseMessage: message }
      : { response_code: code, response_message: message };
  if (payload !== undefined) answer['payload'] = payload;
  if (style.encryptWith === undefined) return sendJson(res, 200, answer);
  sendJson(res, 200, { request: simulatorEncrypt(JSON.stringify(answer), style.encryptWith) });
}
