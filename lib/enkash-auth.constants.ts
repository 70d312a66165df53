import { REDIS_TOKEN_STORE_DEFAULTS } from './store/redis-token-store.js';

/** Context of every log line the library writes through Nest's `Logger`. */
export const ENKASH_AUTH_LOGGER_CONTEXT = 'EnkashAuth';

/**
 * Name of the `@nestjs/schedule` timeout that renews the unnamed registration's token (or retries after a failure);
 * a named registration's is `enkash-auth:<registration name>:token-renewal`.
 */
export const ENKASH_TOKEN_RENEWAL_TIMEOUT = 'enkash-auth:token-renewal';

/** The name of the registration made without `name` (or with this one). */
export const DEFAULT_ENKASH_REGISTRATION = 'default';

/** Metadata key of `@UseEnkashRegistration()`: the name of the registration a route or controller uses. */
export const ENKASH_REGISTRATION_METADATA = 'enkash-auth:registration';

/** Defaults of the optional {@link EnkashAuthOptions}. */
export const ENKASH_AUTH_DEFAULTS = {
  tokenPath: '/oauth/token',
  refreshBeforeExpirySeconds: 300,
  tokenRequestTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  acquireOnStartup: true,
  serverTokenCheck: 'auto',
  unwrapEnvelopes: false,
  encryptPayloads: false,
} as const;

/** EnKash's documented Payouts hosts, the `baseUrl` that `environment` picks. */
export const ENKASH_PAYOUTS_HOSTS = {
  uat: 'https://ekpayout-uat.enkash.in',
  production: 'https://api.enkash.in',
} as const;

/** Defaults of {@link EnkashRedisOptions}: those of the Redis token store. */
export const ENKASH_REDIS_DEFAULTS = REDIS_TOKEN_STORE_DEFAULTS;
