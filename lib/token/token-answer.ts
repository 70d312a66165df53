import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type { GrantType } from './grant.js';
import {
  invalidClient,
  invalidCredentials,
  malformedAnswer,
  rateLimited,
  redirectRefused,
  serverError,
  unexpectedClientError,
} from '../enkash-auth.messages.js';
import { ASSUMED_LIFETIME_MS, MAX_LIFETIME_MS, parseRetryAfterMs } from './renewal-policy.js';
import type { TokenSet } from './token-set.js';

/** EnKash's answer to a token request, as received. */
export interface TokenAnswer {
  status: number;
  body: string;
  retryAfter: unknown;
}

type JsonObject = Record<string, unknown>;

function parseJsonObject(body: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Only a short OAuth2 error code is kept from an error answer: its shape is known and carries no secret. */
function oauthErrorOf(json: JsonObject | undefined): string | undefined {
  const error = json?.error;
  return typeof error === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(error) ? error : undefined;
}

/**
 * `error_description` helps an operator ("Bad credentials", "User account is locked"), but Spring echoes the refresh
 * token in some of them ("Invalid refresh token: <value>"): every known secret is masked, and the text is cut short.
 */
function safeDescription(
  json: JsonObject | undefined,
  secrets: readonly string[],
): string | undefined {
  const description = json?.error_description ?? json?.errorDescription;
  if (typeof description !== 'string' || description.trim() === '') return undefined;
  // Mask on the raw text, longest form first, before anything that could cut or alter a secret's characters.
  const forms = secrets
    .filter((secret) => secret !== '')
    .flatMap((secret) => [
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ value: secret }).toString().slice('value='.length),
    ])
    .sort((a, b) => b.length - a.length);
  let text = description;
  for (const form of forms) text = text.split(form).join('[redacted]');
  // Whatever follows "token:" is a token value, whether we know it or not.
  text = text.replace(/(token[^:]*:\s*)\S+/gi, '$1[redacted]');
  return text
    .replace(/[^\x20-\x7E]/g, ' ')
    .slice(0, 200)
    .trim();
}

function malformed(status: number, grantType: GrantType, what: string): EnkashAuthError {
  return new EnkashAuthError('malformed_response', malformedAnswer(status, what), {
    status,
    grantType,
    retryable: true,
  });
}

/**
 * `expires_in` in seconds: a number or a numeric string. Absent or `null`: {@link ASSUMED_LIFETIME_MS}, flagged.
 * Beyond {@link MAX_LIFETIME_MS} (up to `1e400`, which JSON reads as Infinity): capped, flagged. Negative, or not a
 * number at all: a malformed answer. Below a second (`0` included) is the token manager's to handle.
 */
function lifetimeOf(
  json: JsonObject,
  status: number,
  grant: GrantType,
): { lifetimeMs: number; assumed: boolean; capped: boolean } {
  const raw = json.expires_in ?? json.expiresIn;
  if (raw === undefined || raw === null) {
    return { lifetimeMs: ASSUMED_LIFETIME_MS, assumed: true, capped: false };
  }
  const seconds = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof seconds !== 'number' || Number.isNaN(seconds) || seconds < 0) {
    throw malformed(status, grant, 'an invalid expires_in (not a non-negative number)');
  }
  const lifetimeMs = seconds * 1_000;
  return lifetimeMs > MAX_LIFETIME_MS
    ? { lifetimeMs: MAX_LIFETIME_MS, assumed: false, capped: true }
    : { lifetimeMs, assumed: false, capped: false };
}

/** Reads a 200 answer; accepts EnKash's snake_case and camelCase forms. */
function readTokenSet(answer: TokenAnswer, grant: GrantType): TokenSet {
  const json = parseJsonObject(answer.body);
  if (!json) {
    throw malformed(answer.status, grant, 'a body that is not a JSON object');
  }
  const accessToken = nonEmptyString(json.access_token ?? json.accessToken);
  if (!accessToken) {
    throw malformed(answer.status, grant, 'no access token');
  }
  const tokenType = nonEmptyString(json.token_type ?? json.tokenType);
  if (tokenType !== undefined && tokenType.toLowerCase() !== 'bearer') {
    throw malformed(answer.status, grant, 'a token type other than bearer');
  }
  const { lifetimeMs, assumed, capped } = lifetimeOf(json, answer.status, grant);
  const refreshToken = nonEmptyString(json.refresh_token ?? json.refreshToken);
  const scope = nonEmptyString(json.scope);
  return {
    accessToken,
    lifetimeMs,
    lifetimeAssumed: assumed,
    ...(capped && { lifetimeCapped: true }),
    ...(refreshToken !== undefined && { refreshToken }),
    ...(scope !== undefined && { scope }),
  };
}

/** Turns an error answer into an {@link EnkashAuthError}; decides what is retryable. */
function errorOf(
  answer: TokenAnswer,
  grant: GrantType,
  tokenUrl: string,
  secrets: readonly string[],
): EnkashAuthError {
  const { status } = answer;
  const json = parseJsonObject(answer.body);
  const oauthError = oauthErrorOf(json);
  const details = { status, grantType: grant, ...(oauthError !== undefined && { oauthError }) };

  if (status >= 300 && status < 400) {
    return new EnkashAuthError('config', redirectRefused(status, tokenUrl), {
      ...details,
      retryable: false,
    });
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfterMs(answer.retryAfter);
    return new EnkashAuthError('rate_limited', rateLimited(retryAfterMs), {
      ...details,
      retryable: true,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfterMs(answer.retryAfter);
    return new EnkashAuthError('server_error', serverError(status), {
      ...details,
      retryable: true,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  if (status === 408) {
    return new EnkashAuthError('timeout', serverError(status), { ...details, retryable: true });
  }
  if (
    oauthError === 'invalid_grant' ||
    (grant === 'refresh_token' && oauthError === 'invalid_token')
  ) {
    // On a refresh grant this means the refresh token is no longer accepted: the caller falls back to the password grant.
    return new EnkashAuthError(
      'invalid_credentials',
      invalidCredentials(oauthError ?? `HTTP ${status}`, safeDescription(json, secrets)),
      {
        ...details,
        retryable: false,
      },
    );
  }
  if (
    status === 401 ||
    oauthError === 'invalid_client' ||
    oauthError === 'unauthorized_client' ||
    oauthError === 'unauthorized'
  ) {
    return new EnkashAuthError('invalid_client', invalidClient(status, oauthError), {
      ...details,
      retryable: false,
    });
  }
  // Any other 4xx points at the configuration (404 path, unsupported_grant_type, invalid_request). An OAuth2 answer
  // comes from the token server itself and is final. A bare 4xx page (404, 405, 407...) may come from a proxy in
  // between, where no login was attempted, so it is retried with backoff, except a bare 400 or 403 to the password
  // grant: that may be EnKash refusing the login in a shape of its own, and guessing wrong could lock the account.
  if (grant === 'password' && oauthError === undefined && status === 400) {
    return new EnkashAuthError(
      'invalid_credentials',
      invalidCredentials(oauthError ?? `HTTP ${status}`, safeDescription(json, secrets)),
      {
        ...details,
        retryable: false,
      },
    );
  }
  return new EnkashAuthError('config', unexpectedClientError(status, tokenUrl, oauthError), {
    ...details,
    retryable: oauthError === undefined && grant === 'password' && status !== 403,
  });
}

/**
 * Interprets EnKash's answer to a token request: a {@link TokenSet} on success, otherwise a typed error.
 * `secrets` are masked in any text kept from the answer.
 */
export function interpretTokenAnswer(
  answer: TokenAnswer,
  grant: GrantType,
  tokenUrl: string,
  secrets: readonly string[],
): TokenSet {
  if (answer.status >= 200 && answer.status < 300) return readTokenSet(answer, grant);
  throw errorOf(answer, grant, tokenUrl, secrets);
}
