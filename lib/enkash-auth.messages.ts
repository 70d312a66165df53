import type { EnkashAuthErrorCode } from './errors/enkash-auth.error.js';
import type { EnkashPayloadDecryptionReason } from './errors/enkash-payload-decryption.error.js';

// Every text the library logs or throws, in one place, so that a reviewer can check none carries a secret.
// None of these functions is ever given a token, a password, a client secret or a header value.

import type { UnreadableReason } from './store/token-at-rest.js';
import type { GrantType, TokenSource } from './token/grant.js';

const grantLabel = (grant: GrantType): string =>
  grant === 'password' ? 'password grant' : 'refresh grant';

export const invalidConfiguration = (problems: readonly string[]): string =>
  `Invalid EnKash configuration: ${problems.join('; ')}`;

export const tokenObtained = (
  source: TokenSource,
  expiresAt: Date,
  nextRenewalAt: Date | null,
): string =>
  (source === 'store'
    ? 'Access token adopted from the shared token store (another instance obtained it); '
    : `Access token ${source === 'password' ? 'acquired' : 'renewed'} with the ${grantLabel(source)}; `) +
  `expires at ${expiresAt.toISOString()}` +
  (nextRenewalAt ? `, renewal scheduled at ${nextRenewalAt.toISOString()}` : '');

export const tokenStoreUnavailable = (operation: string, reason: string): string =>
  `The shared token store did not answer (${operation}: ${reason}); this instance renews on its own until it ` +
  'answers again, checking with EnKash before each refresh grant';

export const tokenStoreAnswersAgain = (): string =>
  'The shared token store answers again; renewals are coordinated through it again';

const UNREADABLE_STORED_TOKEN: Record<UnreadableReason, string> = {
  'not-encrypted':
    'it is not encrypted (a version of the library that stored tokens in clear text wrote it, or something ' +
    'else did); it is ignored as if no token were stored, and written over by the next token',
  'other-key':
    'it is encrypted under another key (the client secret changed, or the replicas disagree on it); it is ' +
    'ignored as if no token were stored, and written over by the next token',
  altered:
    'it fails authentication (altered or truncated); it is ignored as if no token were stored until it ' +
    'expires or a token that lives longer replaces it',
};

export const storedTokenUnreadable = (redisKey: string, reason: UnreadableReason): string =>
  `The shared token store holds a value under ${redisKey} that this instance cannot read: ` +
  UNREADABLE_STORED_TOKEN[reason];

export const serverTokenCheckRefused = (): string =>
  'EnKash refused the password when this instance checked for a newer token before renewing (the password may ' +
  'have been rotated); renewals go on with the refresh grant, without that check. Fix ENKASH_PASSWORD before ' +
  'the refresh token expires.';

export const refreshRejectedFallingBack = (reason: string): string =>
  `EnKash did not honour the refresh grant (${reason}); falling back to the password grant once`;

export const retryScheduled = (
  grant: GrantType,
  code: EnkashAuthErrorCode,
  status: number | undefined,
  delayMs: number,
  validUntil: Date | null,
  reason: string,
): string =>
  `Token request (${grantLabel(grant)}) failed: ${code}${status ? ` (HTTP ${status})` : ''}; ` +
  `retrying in ${(delayMs / 1000).toFixed(1)} s; ` +
  (validUntil
    ? `the current token stays in use until ${validUntil.toISOString()}`
    : 'no valid token is held') +
  `. ${reason}`;

export const lockedOut = (error: { code: EnkashAuthErrorCode; message: string }): string =>
  `${error.message} Automatic token requests are stopped` +
  (error.code === 'invalid_credentials' || error.code === 'invalid_client'
    ? ': EnKash locks an account after 3 consecutive failed logins. '
    : ' until the configuration is fixed. ') +
  'Then call EnkashAuthService.refresh() or restart the application.';

export const refreshGrantGivesWay = (code: EnkashAuthErrorCode): string =>
  `The refresh grant failed (${code}) and no valid token is held: the next attempts use the password grant ` +
  '(the refresh grant is used again once a token is obtained)';

export const suspicionLifted = (renewals: number): string =>
  `No token of this instance was refused over the last ${renewals} renewals: renewing with the refresh grant ` +
  'alone again, without first asking EnKash for its current token';

export const serverTokenCheckBeforeRefresh = (renewalsLeft: number): string =>
  'Asking EnKash for its current token with the password grant before the refresh grant: it refused a token of ' +
  'this instance before it expired, so another replica may renew the same account ' +
  `(${renewalsLeft} more renewal${renewalsLeft === 1 ? '' : 's'} check first while none is refused)`;

export const invalidTokenWait = (waitMs: unknown): string =>
  `getAccessToken(): waitMs must be a number of milliseconds, 0 or more (got ${typeof waitMs === 'number' ? waitMs : typeof waitMs})`;

export const tokenWaitLimitReached = (limitMs: number): string =>
  `No EnKash access token within ${limitMs / 1_000} s; the token requests go on in the background`;

export const tokenRefused = (): string =>
  'EnKash refused the current access token (revoked or expired early); re-acquiring it with the password grant';

export const lifetimeAssumed = (lifetimeMs: number): string =>
  `EnKash's token answer had no expires_in; assuming ${lifetimeMs / 1000} s`;

export const lifetimeCapped = (lifetimeMs: number): string =>
  `EnKash's token answer had an expires_in beyond the ${lifetimeMs / 86_400_000}-day limit; ` +
  `using ${lifetimeMs / 1000} s`;

export const refusedTokenHandedBack = (pauseMs: number): string =>
  'EnKash refused a token that its token endpoint still holds as valid: the 401 is not about the token ' +
  '(check the API host and product headers such as partnerId). Further refusals of this token are passed to ' +
  `callers for ${Math.round(pauseMs / 1000)} s before it is checked again`;

export const shuttingDown = (): string =>
  'EnKash token request aborted: the application is shutting down';

export const tokenRequestTimedOut = (timeoutMs: number): string =>
  `EnKash token request timed out after ${timeoutMs} ms (tokenRequestTimeoutMs / ENKASH_TOKEN_TIMEOUT_MS)`;

export const tokenEndpointUnreachable = (url: string, reason: string): string =>
  `EnKash token endpoint ${url} could not be reached (${reason}); check ENKASH_BASE_URL and the network`;

export const serverError = (status: number): string =>
  `EnKash token endpoint answered HTTP ${status} (server error)`;

export const rateLimited = (retryAfterMs: number | undefined): string =>
  `EnKash token endpoint answered HTTP 429 (rate limited)` +
  (retryAfterMs !== undefined ? `; it asked to wait ${Math.ceil(retryAfterMs / 1000)} s` : '');

export const malformedAnswer = (status: number | undefined, what: string): string =>
  `EnKash token endpoint answered${status ? ` HTTP ${status}` : ''} with ${what}`;

export const invalidCredentials = (reason: string, description: string | undefined): string =>
  `EnKash rejected the username or password (${reason}${description ? `: ${description}` : ''}); ` +
  'check ENKASH_USERNAME and ENKASH_PASSWORD.';

export const invalidClient = (status: number, oauthError: string | undefined): string =>
  `EnKash rejected the client credentials (HTTP ${status}${oauthError ? `, ${oauthError}` : ''}); ` +
  'check ENKASH_CLIENT_ID and ENKASH_CLIENT_SECRET.';

export const unexpectedClientError = (
  status: number,
  url: string,
  oauthError: string | undefined,
): string =>
  `EnKash token endpoint ${url} answered HTTP ${status}${oauthError ? ` (${oauthError})` : ''}; ` +
  'check ENKASH_BASE_URL and ENKASH_TOKEN_PATH.';

export const redirectRefused = (status: number, url: string): string =>
  `EnKash token endpoint ${url} answered with a redirect (HTTP ${status}), which is not followed so that ` +
  'credentials are never sent elsewhere; check ENKASH_BASE_URL and ENKASH_TOKEN_PATH.';

export const unexpectedTokenFailure = (errorClass: string): string =>
  `EnKash token request failed with an unexpected ${errorClass}; retrying as after a network failure`;

export const serviceClosed = (): string =>
  'EnkashAuthService is closed: the application is shutting down';

export const callFailed = (
  method: string,
  url: string,
  status: number | undefined,
  reason: string,
): string =>
  `EnKash call ${method} ${url} failed: ` +
  (status !== undefined ? `HTTP ${status}${reason ? ` ${reason}` : ''}` : reason);

export const tokenWaitTimedOut = (timeoutMs: number): string =>
  `timeout of ${timeoutMs}ms exceeded while waiting for an EnKash access token`;

export const callFailedAfterRetry = (): string =>
  ' (after a retry with a fresh access token: EnKash refused the token again)';

export const enkashTokenWithoutInterceptor = (): string =>
  '@EnkashToken() found no token on the request: put @UseInterceptors(EnkashAuthInterceptor) on the ' +
  'controller or route (or register it as APP_INTERCEPTOR). It works on HTTP routes only.';

export const tokenUnavailableForClient = (
  code: EnkashAuthErrorCode,
  retryAfterSeconds: number | undefined,
): string => {
  const retry = retryAfterSeconds !== undefined ? ` Try again in ${retryAfterSeconds} s.` : '';
  switch (code) {
    case 'invalid_credentials':
      return 'EnKash rejected the credentials this service is configured with; an operator must fix them.';
    case 'invalid_client':
      return 'EnKash rejected the client id or secret this service is configured with; an operator must fix them.';
    case 'config':
      return "This service's EnKash configuration is invalid; an operator must fix it.";
    case 'timeout':
      return `EnKash's token endpoint did not answer in time.${retry}`;
    case 'network':
      return retryAfterSeconds === undefined
        ? 'This service is shutting down and can no longer obtain an EnKash token.'
        : `EnKash's token endpoint cannot be reached.${retry}`;
    case 'server_error':
      return `EnKash's token endpoint is failing (server error).${retry}`;
    case 'rate_limited':
      return `EnKash is rate-limiting token requests.${retry}`;
    case 'malformed_response':
      return `EnKash's token endpoint gave an answer that is not a token.${retry}`;
  }
};

export const invalidRegistrationName = (registrationName: unknown): string =>
  `Invalid EnKash registration name ${JSON.stringify(registrationName)}: use lower-case letters and digits, ` +
  "words joined by '-' (such as cards or business-unit-2), so that each name reads ENKASH_<NAME>_* variables of " +
  'its own';

export const duplicateRegistration = (registrationName: string): string =>
  `EnKash registration "${registrationName}" is registered more than once in this application: two token engines ` +
  "for one EnKash account would revoke each other's tokens. Register each EnKash account once (isGlobal: true, or " +
  'in a shared module that re-exports it), and give the registration of each further account a name of its own';

export const unknownRegistration = (registrationName: string): string =>
  `No EnKash registration "${registrationName}" in this application: register it with ` +
  `EnkashAuthModule.forRoot({ name: '${registrationName}', ... }) or ` +
  `forRootAsync({ name: '${registrationName}', ... })`;

const WRONG_SECRET =
  'check the client secret (ENKASH_CLIENT_SECRET): it must be the one of the EnKash account that encrypted it';

/** Never given the ciphertext or what it decrypts to: either may hold bank account numbers. */
export const payloadNotDecrypted = (reason: EnkashPayloadDecryptionReason): string => {
  const problem = {
    empty: 'there is nothing to decrypt (the ciphertext or the text it decrypts to is empty)',
    not_base64: 'the ciphertext is not a base64 string, so it is not an EnKash-encrypted payload',
    bad_length:
      'the ciphertext is not a whole number of 16-byte AES blocks (truncated, or not AES)',
    bad_padding: `the padding is wrong, so the key does not match; ${WRONG_SECRET}`,
    not_json: `the decrypted text is not UTF-8 JSON, so the key most likely does not match; ${WRONG_SECRET}`,
  }[reason];
  return `EnKash payload could not be decrypted: ${problem}`;
};

/** A call described by its method and path, never its query string (it may carry identifiers). */
type CallTarget = { method: string; path: string };

export const envelopeMissing = ({ method, path }: CallTarget): string =>
  `EnKash's answer to ${method} ${path} has no envelope (response_code and response_message): set ` +
  'enkash.unwrapEnvelope to false for this call to read it as it is';

export const envelopeRefused = (
  { method, path }: CallTarget,
  responseCode: number | string,
  responseMessage: string | undefined,
): string =>
  `EnKash refused ${method} ${path}: response_code ${String(responseCode)}` +
  (responseMessage === undefined ? '' : ` (${responseMessage})`);

export const requestNotEncryptable = (): string =>
  'The body of this call cannot be encrypted for EnKash: only JSON data (an object, an array, or JSON text) can ' +
  'be; set enkash.encryptPayload to false for a stream, a buffer or a form';

export const responseNotDecrypted = ({ method, path }: CallTarget, problem: string): string =>
  `EnKash's answer to ${method} ${path}: ${problem}`;

export const eventListenerFailed = (event: string, error: unknown): string =>
  `A listener of the EnKash token event ${event} threw ${error instanceof Error ? error.name : typeof error}; ` +
  'ignored, the token engine carries on. Its message is not logged (the library cannot tell whether it quotes a ' +
  'secret): catch errors in the listener to see them';
