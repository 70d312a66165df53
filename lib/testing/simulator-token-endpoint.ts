import type { IncomingMessage, ServerResponse } from 'node:http';
import { NO_STORE_HEADERS, parseBasic, sendJson, sendOAuthError } from './simulator-http.js';
import type { ResolvedSimulatorOptions } from './simulator-options.js';
import {
  remainingSeconds,
  type SimulatorTokenStore,
  type TokenGrantResult,
} from './simulator-token-store.js';
import type { EnkashSimulatorStats } from './simulator.interfaces.js';

/** Scope of every token, as EnKash answers it. */
export const TOKEN_SCOPE = 'read write trust';

/** Spring's description when a request carries no (usable) credentials. */
export const FULL_AUTH_REQUIRED = 'Full authentication is required to access this resource';

const BASIC_CHALLENGE = 'Basic realm="oauth2/client"';

/** Consecutive failed logins of the one user account, and the lock they cause. */
export class AccountLock {
  private failedInARow = 0;

  /** Whether `limit` (0 or Infinity: never) consecutive failures have been reached. */
  isLocked(limit: number): boolean {
    return limit > 0 && this.failedInARow >= limit;
  }

  /** Counts one more failure in a row. */
  recordFailure(): void {
    this.failedInARow += 1;
  }

  /** A successful login, or an unlock: the count starts again. */
  reset(): void {
    this.failedInARow = 0;
  }
}

/** The simulator state the token endpoint reads and changes. */
export interface TokenEndpointState {
  /** Effective options. */
  readonly options: ResolvedSimulatorOptions;
  /** Live counters. */
  readonly stats: EnkashSimulatorStats;
  /** Access and refresh tokens. */
  readonly tokens: SimulatorTokenStore;
  /** Failed-login lock of the account. */
  readonly account: AccountLock;
  /** Every access and refresh token value answered so far. */
  readonly answeredTokens: Set<string>;
}

/** A token request that no fault took over. */
export interface TokenCall {
  /** The request (headers and method). */
  req: IncomingMessage;
  /** Where to answer. */
  res: ServerResponse;
  /** The decoded form (`{}` unless form-urlencoded). */
  form: Record<string, string>;
  /** Whether the body was `application/x-www-form-urlencoded`. */
  isForm: boolean;
  /** The `grant_type` field, or `''`. */
  grantType: string;
}

type Fail = (status: number, error: string, description: string, challenge?: string) => void;

/** Counts a failed login (consecutive count and stats). */
export function recordFailedLogin(state: TokenEndpointState): void {
  state.account.recordFailure();
  state.stats.failedLogins += 1;
}

/** Answers a token request the way EnKash's Spring `TokenEndpoint` does. */
export function answerTokenRequest(state: TokenEndpointState, call: TokenCall): void {
  const { req, res, form, grantType } = call;
  const { options } = state;
  const fail: Fail = (status, error, description, challenge) =>
    sendOAuthError(res, status, error, description, {
      ...NO_STORE_HEADERS,
      ...(challenge ? { 'WWW-Authenticate': challenge } : {}),
    });
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return fail(405, 'method_not_allowed', `Request method '${req.method}' not supported`);
  }
  const client = parseBasic(req.headers.authorization);
  if (!client) return fail(401, 'unauthorized', FULL_AUTH_REQUIRED, BASIC_CHALLENGE);
  if (client.id !== options.clientId || client.secret !== options.clientSecret) {
    const challenge = `${BASIC_CHALLENGE}, error="invalid_client", error_description="Bad client credentials"`;
    return fail(401, 'invalid_client', 'Bad client credentials', challenge);
  }
  if (!call.isForm) {
    const description = `Unsupported Content-Type: ${req.headers['content-type'] ?? '(none)'}`;
    return fail(400, 'invalid_request', description);
  }
  if (form['clientId'] !== undefined && form['clientId'] !== client.id) {
    return fail(401, 'invalid_client', 'Given client ID does not match authenticated client');
  }
  if (grantType === '') return fail(400, 'invalid_request', 'Missing grant type');
  if (grantType === 'password') return passwordGrant(state, res, form, fail);
  if (grantType === 'refresh_token') return refreshGrant(state, res, form, fail);
  return fail(400, 'unsupported_grant_type', `Unsupported grant type: ${grantType}`);
}

function passwordGrant(
  state: TokenEndpointState,
  res: ServerResponse,
  form: Record<string, string>,
  fail: Fail,
): void {
  const { options } = state;
  for (const field of ['username', 'password', 'clientId']) {
    if (form[field] === undefined) return fail(400, 'invalid_request', `Missing ${field}`);
  }
  if (state.account.isLocked(options.lockAfterFailedLogins)) {
    return fail(400, 'invalid_grant', 'User account is locked');
  }
  if (form['username'] !== options.username || form['password'] !== options.password) {
    recordFailedLogin(state);
    return fail(400, 'invalid_grant', 'Bad credentials');
  }
  state.account.reset();
  const now = Date.now();
  const { tokenLifetimeSeconds, refreshTokenLifetimeSeconds } = options;
  sendTokens(
    state,
    res,
    state.tokens.login(now, tokenLifetimeSeconds, refreshTokenLifetimeSeconds),
    now,
  );
}

function refreshGrant(
  state: TokenEndpointState,
  res: ServerResponse,
  form: Record<string, string>,
  fail: Fail,
): void {
  const value = form['refresh_token'];
  if (value === undefined) return fail(400, 'invalid_request', 'Missing refresh token');
  const now = Date.now();
  const outcome = state.tokens.refreshWith(value, now, state.options.tokenLifetimeSeconds);
  if (outcome === 'unknown') return fail(400, 'invalid_grant', `Invalid refresh token: ${value}`);
  if (outcome === 'expired') {
    return fail(401, 'invalid_token', `Invalid refresh token (expired): ${value}`);
  }
  sendTokens(state, res, outcome, now);
}

function sendTokens(
  state: TokenEndpointState,
  res: ServerResponse,
  result: TokenGrantResult,
  now: number,
): void {
  if (result.issued) state.stats.tokensIssued += 1;
  const expiresIn = remainingSeconds(result.access, now);
  const { value: accessToken } = result.access;
  const { value: refreshToken } = result.refresh;
  state.answeredTokens.add(accessToken).add(refreshToken);
  const body =
    state.options.responseCase === 'camel'
      ? { accessToken, tokenType: 'bearer', refreshToken, expiresIn, scope: TOKEN_SCOPE }
      : {
          access_token: accessToken,
          token_type: 'bearer',
          refresh_token: refreshToken,
          expires_in: expiresIn,
          scope: TOKEN_SCOPE,
        };
  sendJson(res, 200, body, NO_STORE_HEADERS);
}
