import { DEFAULT_ENKASH_REGISTRATION } from '../enkash-auth.constants.js';
import { EnkashAuthService } from '../enkash-auth.service.js';
import { EnkashHttpService } from '../http/enkash-http.service.js';

/**
 * The name of a registration from the `name` given to `forRoot`/`forRootAsync`: `undefined` and `'default'` both mean
 * the unnamed one.
 */
export function registrationNameOf(givenName: string | undefined): string {
  return givenName ?? DEFAULT_ENKASH_REGISTRATION;
}

function isDefault(registrationName: string | undefined): boolean {
  return registrationName === undefined || registrationName === DEFAULT_ENKASH_REGISTRATION;
}

/**
 * The injection token of the {@link EnkashAuthService} of the registration named `registrationName`: the class itself
 * for the unnamed registration, a string for a named one. For `moduleRef.get(...)`, custom providers and
 * `overrideProvider` in tests.
 *
 * @example
 * const cards = app.get<EnkashAuthService>(getEnkashAuthToken('cards'));
 */
export function getEnkashAuthToken(registrationName?: string): string | typeof EnkashAuthService {
  return isDefault(registrationName) ? EnkashAuthService : `EnkashAuthService:${registrationName}`;
}

/**
 * The injection token of the {@link EnkashHttpService} of the registration named `registrationName`; see
 * {@link getEnkashAuthToken}.
 */
export function getEnkashHttpToken(registrationName?: string): string | typeof EnkashHttpService {
  return isDefault(registrationName) ? EnkashHttpService : `EnkashHttpService:${registrationName}`;
}
