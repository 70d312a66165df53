import { DEFAULT_ENKASH_REGISTRATION } from '../enkash-auth.constants.js';
import { EnkashAuthService } from '../enkash-auth.service.js';
import { EnkashHttpService } from '../http/enkash-http.service.js';

/** A registration name as given to `forRoot`/`forRootAsync`: `undefined` and `'default'` both mean the unnamed one. */
export function registrationNameOf(name: string | undefined): string {
  return name ?? DEFAULT_ENKASH_REGISTRATION;
}

function isDefault(name: string | undefined): boolean {
  return name === undefined || name === DEFAULT_ENKASH_REGISTRATION;
}

/**
 * The injection token of the {@link EnkashAuthService} of registration `name`: the class itself for the unnamed
 * registration, a string for a named one. For `moduleRef.get(...)`, custom providers and `overrideProvider` in tests.
 *
 * @example
 * const cards = app.get<EnkashAuthService>(getEnkashAuthToken('cards'));
 */
export function getEnkashAuthToken(name?: string): string | typeof EnkashAuthService {
  return isDefault(name) ? EnkashAuthService : `EnkashAuthService:${name}`;
}

/** The injection token of the {@link EnkashHttpService} of registration `name`; see {@link getEnkashAuthToken}. */
export function getEnkashHttpToken(name?: string): string | typeof EnkashHttpService {
  return isDefault(name) ? EnkashHttpService : `EnkashHttpService:${name}`;
}
