import {
  DEFAULT_ENKASH_REGISTRATION,
  ENKASH_AUTH_LOGGER_CONTEXT,
  ENKASH_TOKEN_RENEWAL_TIMEOUT,
} from '../enkash-auth.constants.js';

// What a registration's name changes in what the library leaves behind it: log lines and the scheduler's timeout.
// The unnamed registration keeps the names it always had, so that nothing changes for an app with one account.

/** The logger context of registration `name`: `EnkashAuth`, or `EnkashAuth:cards`. */
export function loggerContextOf(name: string): string {
  return name === DEFAULT_ENKASH_REGISTRATION
    ? ENKASH_AUTH_LOGGER_CONTEXT
    : `${ENKASH_AUTH_LOGGER_CONTEXT}:${name}`;
}

/** The renewal timeout's name of registration `name` in `SchedulerRegistry`. */
export function renewalTimeoutNameOf(name: string): string {
  return name === DEFAULT_ENKASH_REGISTRATION
    ? ENKASH_TOKEN_RENEWAL_TIMEOUT
    : `enkash-auth:${name}:token-renewal`;
}
