import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import {
  INVALID_ENCRYPTED_REQUEST,
  sendEnvelope,
  type EnvelopeStyle,
  type ResourceBody,
} from './simulator-envelope.js';
import { parseBearer, parseForm, sendOAuthError } from './simulator-http.js';
import type { ResolvedSimulatorOptions } from './simulator-options.js';
import { FULL_AUTH_REQUIRED } from './simulator-token-endpoint.js';
import type { SimulatorTokenStore } from './simulator-token-store.js';
import type { EnkashSimulatorStats } from './simulator.interfaces.js';

const BEARER_CHALLENGE = 'Bearer realm="oauth2-resource"';

/** Quotes a value for an auth-param of a `WWW-Authenticate` header. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Methods whose body Payouts wants encrypted when `requireEncryptedPayloads` is on. */
const WRITE_METHODS: readonly string[] = ['POST', 'PUT', 'PATCH'];

/** The simulator state a protected resource reads. */
export interface ResourceState {
  /** Effective options. */
  readonly options: ResolvedSimulatorOptions;
  /** Live counters. */
  readonly stats: EnkashSimulatorStats;
  /** Access and refresh tokens. */
  readonly tokens: SimulatorTokenStore;
}

/** A resource request that no fault took over. */
export interface ResourceCall {
  /** The request (headers and method). */
  req: IncomingMessage;
  /** Where to answer. */
  res: ServerResponse;
  /** The request's URL. */
  url: URL;
  /** What the simulator made of its body. */
  body: ResourceBody;
}

/** How envelopes go out for a request: the configured casing, encrypted when the request was (and could be read). */
export function envelopeStyle(
  options: ResolvedSimulatorOptions,
  body: ResourceBody,
): EnvelopeStyle {
  const encrypted = body.encrypted && !body.undecryptable;
  return {
    casing: options.envelopeCasing,
    ...(encrypted ? { encryptWith: options.clientSecret } : {}),
  };
}

/** The configured name of the first required header that is absent or has another value. */
function missingRequiredHeader(
  headers: IncomingHttpHeaders,
  required: Readonly<Record<string, string>>,
): string | undefined {
  return Object.keys(required).find((name) => headers[name.toLowerCase()] !== required[name]);
}

/** Spring's 401 for a refused access token, echoing the token in the description and the challenge. */
export function sendInvalidToken(
  res: ServerResponse,
  token: string,
  reason: 'expired' | 'invalid',
): void {
  const description =
    reason === 'expired' ? `Access token expired: ${token}` : `Invalid access token: ${token}`;
  const challenge = `${BEARER_CHALLENGE}, error="invalid_token", error_description=${quoted(description)}`;
  sendOAuthError(res, 401, 'invalid_token', description, { 'WWW-Authenticate': challenge });
}

/**
 * Answers a request to a protected resource (any path but the token path). Without a valid access token: Spring's
 * 401 with a `WWW-Authenticate` header. Then, as EnKash does, HTTP 200 with an envelope: 403 for a missing or wrong
 * required header, 422 for a body it cannot decrypt or a plain one where encryption is required (these three in
 * plain JSON), else success with an echo of the request, encrypted when the request was. The caller has counted the
 * request.
 */
export function answerResourceRequest(state: ResourceState, call: ResourceCall): void {
  const { options, stats, tokens } = state;
  const { req, res, url, body } = call;
  const token = parseBearer(req.headers.authorization);
  if (token === undefined) {
    stats.resourceUnauthorized += 1;
    const headers = { 'WWW-Authenticate': BEARER_CHALLENGE };
    return sendOAuthError(res, 401, 'unauthorized', FULL_AUTH_REQUIRED, headers);
  }
  const check = tokens.checkAccess(token, Date.now());
  if (check !== 'valid') {
    stats.resourceUnauthorized += 1;
    return sendInvalidToken(res, token, check === 'expired' ? 'expired' : 'invalid');
  }
  const plain: EnvelopeStyle = { casing: options.envelopeCasing };
  const missing = missingRequiredHeader(req.headers, options.requiredHeaders);
  if (missing !== undefined) {
    return sendEnvelope(
      res,
      { code: 403, message: `${missing} header is missing or invalid` },
      plain,
    );
  }
  const method = req.method ?? 'GET';
  const plainRefused =
    options.requireEncryptedPayloads &&
    WRITE_METHODS.includes(method) &&
    !body.encrypted &&
    !body.empty;
  if (body.undecryptable || plainRefused) {
    return sendEnvelope(res, { code: 422, message: INVALID_ENCRYPTED_REQUEST }, plain);
  }
  const payload = { method, path: url.pathname, query: parseForm(url.search), body: body.json };
  sendEnvelope(res, { code: 0, message: 'Success', payload }, envelopeStyle(options, body));
}
