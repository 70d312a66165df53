import { HttpException, HttpStatus } from '@nestjs/common';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { tokenUnavailableForClient } from '../enkash-auth.messages.js';

/** Used when a retryable failure tells nothing of when to try again. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** Codes that mean an operator must act: trying again cannot help, so the gateway answer is 502. */
const NEEDS_AN_OPERATOR = new Set(['invalid_credentials', 'invalid_client', 'config']);

/** The answer our user's client gets when no EnKash token can be had, and the `Retry-After` to send with it. */
export interface TokenUnavailableAnswer {
  exception: HttpException;
  retryAfterSeconds: number | undefined;
}

/**
 * Maps why no token could be had to what the client of our user's API should see: `502 Bad Gateway` when EnKash
 * rejected the credentials or the configuration is wrong, `503 Service Unavailable` (with `Retry-After` when trying
 * again may work) otherwise. The body names the cause in words and never holds a secret or a stack.
 */
export function tokenUnavailableAnswer(
  error: EnkashAuthError,
  nextAttemptAt: Date | null,
  now: number = Date.now(),
): TokenUnavailableAnswer {
  const status = NEEDS_AN_OPERATOR.has(error.code)
    ? HttpStatus.BAD_GATEWAY
    : HttpStatus.SERVICE_UNAVAILABLE;
  let retryAfterSeconds: number | undefined;
  if (status === HttpStatus.SERVICE_UNAVAILABLE && error.retryable) {
    // The engine's next attempt already honours EnKash's Retry-After, counted from when EnKash sent it: a client
    // arriving 50 s into a 60 s wait is told 10 s, not 60.
    const untilNextAttemptMs = nextAttemptAt !== null ? nextAttemptAt.getTime() - now : 0;
    const waitMs = untilNextAttemptMs > 0 ? untilNextAttemptMs : error.retryAfterMs;
    retryAfterSeconds =
      waitMs !== undefined && waitMs > 0 ? Math.ceil(waitMs / 1000) : DEFAULT_RETRY_AFTER_SECONDS;
  }
  const body = {
    statusCode: status,
    error: status === HttpStatus.BAD_GATEWAY ? 'Bad Gateway' : 'Service Unavailable',
    message: tokenUnavailableForClient(error.code, retryAfterSeconds),
    code: error.code,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
  // No cause: the EnkashAuthError is for the operator's logs, not for the client.
  return { exception: new HttpException(body, status), retryAfterSeconds };
}

/** Whether `error` is the library's reason for having no token (anything else is rethrown as is). */
export function isTokenFailure(error: unknown): error is EnkashAuthError {
  return error instanceof EnkashAuthError;
}
