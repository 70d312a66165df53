import {
  DEFAULT_ENKASH_REGISTRATION,
  ENKASH_AUTH_LOGGER_CONTEXT,
  ENKASH_TOKEN_RENEWAL_TIMEOUT,
} from '../enkash-auth.constants.js';

// What a registration's name changes in what the library leaves behind it: log lines and the scheduler's timeout.
// The unnamed registration keeps the names it always had, so that nothing changes for an app with one registration.

/** The logger context of the registration named `registrationName`: `EnkashAuth`, or `EnkashAuth:cards`. */
export function loggerContextOf(registrationName: string): string {
  return registrationName === DEFAULT_ENKASH_REGISTRATION
    ? ENKASH_AUTH_LOGGER_CONTEXT
    : `${ENKASH_AUTH_LOGGER_CONTEXT}:${registrationName}`;
}

/** The name in `SchedulerRegistry` of the renewal timeout of the registration named `registrationName`. */
export function renewalTimeoutNameOf(registrationName: string): string {
  return registrationName === DEFAULT_ENKASH_REGISTRATION
    ? ENKASH_TOKEN_RENEWAL_TIMEOUT
    : `enkash-auth:${registrationName}:token-renewal`;
}
