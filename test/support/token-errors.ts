// The errors the token client throws for EnKash's usual failures, for unit specs that script a token endpoint.
import { EnkashAuthError } from '../../lib/errors/enkash-auth.error.js';

/** A 500 from the token endpoint: transient. */
export const serverError = (): EnkashAuthError =>
  new EnkashAuthError('server_error', 'EnKash token endpoint answered HTTP 500', {
    status: 500,
    retryable: true,
  });

/** No answer within `tokenRequestTimeoutMs`: transient. */
export const timeoutError = (): EnkashAuthError =>
  new EnkashAuthError('timeout', 'EnKash token endpoint did not answer within 10000 ms', {
    retryable: true,
  });

/** A 429 with its `Retry-After`. */
export const rateLimited = (retryAfterMs: number): EnkashAuthError =>
  new EnkashAuthError('rate_limited', 'EnKash token endpoint answered HTTP 429', {
    status: 429,
    retryable: true,
    retryAfterMs,
  });

/** `invalid_grant` on the password grant: a failed login, never retried. */
export const badCredentials = (): EnkashAuthError =>
  new EnkashAuthError('invalid_credentials', 'EnKash rejected the username or password', {
    status: 400,
    retryable: false,
    oauthError: 'invalid_grant',
    grantType: 'password',
  });
