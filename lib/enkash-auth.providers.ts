import { Logger } from '@nestjs/common';
import type { FactoryProvider } from '@nestjs/common';
import { loggerContextOf } from './registration/registration-names.js';
import { createRedisTokenStore } from './store/redis-token-store.js';
import type { TokenStore } from './store/token-store.interface.js';
import { ENKASH_AUTH_MODULE_OPTIONS } from './enkash-auth.module-definition.js';
import { resolveEnkashAuthOptions } from './enkash-auth.options.js';
import type {
  EnkashAuthOptions,
  ResolvedEnkashAuthOptions,
} from './interfaces/enkash-auth-options.interface.js';

// Internal tokens: not exported from index.ts.

/** The name of the registration a provider belongs to (`'default'` for the unnamed one). */
export const ENKASH_REGISTRATION_NAME = Symbol('ENKASH_REGISTRATION_NAME');

/** The `EnkashAuthService` of the registration a provider belongs to, whatever token it is provided under. */
export const ENKASH_REGISTRATION_AUTH = Symbol('ENKASH_REGISTRATION_AUTH');

/**
 * The injection token the registration's `EnkashAuthService` is provided under
 * (`getEnkashAuthToken(registrationName)`), for the service to find every provider under it without importing
 * `enkash-registration.tokens.ts`, which imports the service.
 */
export const ENKASH_REGISTRATION_AUTH_INJECTION_TOKEN = Symbol(
  'ENKASH_REGISTRATION_AUTH_INJECTION_TOKEN',
);

/** The validated options with defaults applied, shared by every provider of one module registration. */
export const ENKASH_RESOLVED_OPTIONS = Symbol('ENKASH_RESOLVED_OPTIONS');

/** Validates the options once, when the module boots: a bad `.env` fails the boot with every problem named. */
export const resolvedOptionsProvider: FactoryProvider<ResolvedEnkashAuthOptions> = {
  provide: ENKASH_RESOLVED_OPTIONS,
  useFactory: (options: EnkashAuthOptions) => resolveEnkashAuthOptions(options),
  inject: [ENKASH_AUTH_MODULE_OPTIONS],
};

/** The token store of one registration, when the token is shared, with how to let go of it at shutdown. */
export interface SharedStoreHandle {
  readonly store: TokenStore;
  readonly operationTimeoutMs?: number;
  /** Closes what the library opened (Redis connections); a store or client of the application's own stays open. */
  close(): Promise<void>;
}

/** The {@link SharedStoreHandle} of one registration, or `null` for a lone instance. */
export const ENKASH_SHARED_STORE = Symbol('ENKASH_SHARED_STORE');

/**
 * Opens the Redis store when `redis` is set, sealing the tokens under a key derived from the registration's client
 * secret; never waits for Redis to answer, so that a boot never hangs on it.
 */
export const sharedStoreProvider: FactoryProvider<SharedStoreHandle | null> = {
  provide: ENKASH_SHARED_STORE,
  useFactory: async (
    options: ResolvedEnkashAuthOptions,
    registrationName: string,
  ): Promise<SharedStoreHandle | null> => {
    if (options.tokenStore !== undefined) {
      return { store: options.tokenStore, close: () => Promise.resolve() };
    }
    if (options.redis === undefined) return null;
    const store = await createRedisTokenStore({
      ...options.redis,
      clientSecret: options.clientSecret,
      logger: new Logger(loggerContextOf(registrationName)),
    });
    return {
      store,
      operationTimeoutMs: options.redis.operationTimeoutMs,
      close: () => store.close(),
    };
  },
  inject: [ENKASH_RESOLVED_OPTIONS, ENKASH_REGISTRATION_NAME],
};
