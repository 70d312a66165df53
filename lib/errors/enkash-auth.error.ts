/**
 * What went wrong while obtaining an EnKash access token. Stable values: safe to switch on.
 *
 * - `invalid_credentials`: EnKash rejected the username or password (`invalid_grant`). Never retried automatically.
 * - `invalid_client`: EnKash rejected the client id or client secret. Never retried automatically.
 * - `timeout`: the token request took longer than `tokenRequestTimeoutMs`.
 * - `network`: the token endpoint could not be reached (refused, reset, DNS), or the request was aborted at shutdown.
 * - `server_error`: EnKash answered with a 5xx status.
 * - `rate_limited`: EnKash answered 429; `retryAfterMs` tells how long it asked us to wait.
 * - `malformed_response`: the answer was not JSON, or carried no access token.
 * - `config`: the configuration is invalid, or EnKash's answer points at a configuration mistake (e.g. a 404 token path).
 */
export type EnkashAuthErrorCode =
  | 'invalid_credentials'
  | 'invalid_client'
  | 'timeout'
  | 'network'
  | 'server_error'
  | 'rate_limited'
  | 'malformed_response'
  | 'config';

/** Details an {@link EnkashAuthError} may carry. None of them ever holds a token or a secret. */
export interface EnkashAuthErrorDetails {
  /** HTTP status of EnKash's answer, when there was one. */
  status?: number;
  /** Whether trying again later may succeed. Bad credentials and configuration errors are not retryable. */
  retryable?: boolean;
  /** The OAuth2 `error` field of EnKash's answer (e.g. `invalid_grant`), when there was one. */
  oauthError?: string;
  /** How long EnKash asked us to wait (`Retry-After`), in milliseconds, when it said so. */
  retryAfterMs?: number;
  /** The grant of the token request that failed, when the error comes from one. */
  grantType?: 'password' | 'refresh_token';
}

/**
 * The only error the library raises about authentication. Its message names what is wrong and what to check;
 * it never contains a token, a password, a client secret or an `Authorization` header, and it never wraps the
 * underlying `AxiosError` (whose `config` carries the form body and headers).
 */
export class EnkashAuthError extends Error {
  /** What went wrong, as a stable machine-readable value. */
  readonly code: EnkashAuthErrorCode;
  /** HTTP status of EnKash's answer, when there was one. */
  declare readonly status?: number;
  /** Whether trying again later may succeed. */
  readonly retryable: boolean;
  /** The OAuth2 `error` field of EnKash's answer, when there was one. */
  declare readonly oauthError?: string;
  /** How long EnKash asked us to wait before trying again, in milliseconds, when it said so. */
  declare readonly retryAfterMs?: number;
  /** The grant of the failed token request, when the error comes from one. */
  declare readonly grantType?: 'password' | 'refresh_token';

  constructor(code: EnkashAuthErrorCode, message: string, details: EnkashAuthErrorDetails = {}) {
    super(message);
    this.name = 'EnkashAuthError';
    this.code = code;
    this.retryable = details.retryable ?? false;
    // Optional fields are set only when present, so that logs and inspect() output stay short.
    if (details.status !== undefined) this.status = details.status;
    if (details.oauthError !== undefined) this.oauthError = details.oauthError;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.grantType !== undefined) this.grantType = details.grantType;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
