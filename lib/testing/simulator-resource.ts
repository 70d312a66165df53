import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseBearer, parseForm, sendJson, sendOAuthError } from './simulator-http.js';
import { FULL_AUTH_REQUIRED } from './simulator-token-endpoint.js';
import type { SimulatorTokenStore } from './simulator-token-store.js';
import type { EnkashSimulatorStats } from './simulator.interfaces.js';

const BEARER_CHALLENGE = 'Bearer realm="oauth2-resource"';

/** Quotes a value for an auth-param of a `WWW-Authenticate` header. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Parses a JSON request body; `null` when empty or not JSON. */
function parseJsonBody(body: string): unknown {
  try {
    return body === '' ? null : (JSON.parse(body) as unknown);
  } catch {
    return null;
  }
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
 * Answers a request to a protected resource (any path but the token path): 200 with an echo of
 * the request for the current access token, else Spring's 401 with a `WWW-Authenticate` header.
 * The caller has counted the request.
 */
export function answerResourceRequest(
  tokens: SimulatorTokenStore,
  stats: EnkashSimulatorStats,
  request: { req: IncomingMessage; res: ServerResponse; url: URL; body: string },
): void {
  const { req, res, url } = request;
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
  const payload = {
    method: req.method,
    path: url.pathname,
    query: parseForm(url.search),
    body: parseJsonBody(request.body),
  };
  sendJson(res, 200, { response_code: 0, response_message: 'Success', payload });
}
