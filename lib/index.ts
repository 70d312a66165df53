export { EnkashAuthModule } from './enkash-auth.module.js';
export { ENKASH_AUTH_MODULE_OPTIONS } from './enkash-auth.module-definition.js';
export type {
  EnkashAuthModuleAsyncOptions,
  EnkashAuthModuleExtras,
  EnkashAuthModuleOptions,
} from './enkash-auth.module-definition.js';
export { EnkashAuthService } from './enkash-auth.service.js';
export { ENKASH_TOKEN_EVENTS } from './events/enkash-token-events.constants.js';
export type {
  EnkashTokenEvent,
  EnkashTokenEventType,
  EnkashTokenFailedEvent,
  EnkashTokenGrant,
  EnkashTokenInvalidatedEvent,
  EnkashTokenObtainedEvent,
} from './events/enkash-token-event.interface.js';
export { EnkashHttpService } from './http/enkash-http.service.js';
export { EnkashAuthInterceptor } from './interceptors/enkash-auth.interceptor.js';
export { EnkashToken } from './interceptors/enkash-token.decorator.js';
export {
  InjectEnkashAuth,
  InjectEnkashHttp,
  UseEnkashRegistration,
} from './registration/enkash-registration.decorators.js';
export {
  getEnkashAuthToken,
  getEnkashHttpToken,
} from './registration/enkash-registration.tokens.js';
export {
  enkashConfig,
  enkashConfigFor,
  enkashEnvironmentVariables,
  readEnkashOptionsFromEnvironment,
  ENKASH_ENVIRONMENT_VARIABLES,
} from './enkash-auth.config.js';
export type { EnkashConfig, EnkashEnvironmentVariables } from './enkash-auth.config.js';
export {
  DEFAULT_ENKASH_REGISTRATION,
  ENKASH_AUTH_DEFAULTS,
  ENKASH_PAYOUTS_HOSTS,
  ENKASH_REDIS_DEFAULTS,
  ENKASH_TOKEN_RENEWAL_TIMEOUT,
} from './enkash-auth.constants.js';
export { InMemoryTokenStore } from './store/in-memory-token-store.js';
export { RedisTokenStore, createRedisTokenStore } from './store/redis-token-store.js';
export type { RedisTokenStoreOptions } from './store/redis-token-store.js';
export type { SharedEnkashToken, TokenStore } from './store/token-store.interface.js';
export { EnkashAuthError } from './errors/enkash-auth.error.js';
export type { EnkashAuthErrorCode, EnkashAuthErrorDetails } from './errors/enkash-auth.error.js';
export { EnkashHttpError } from './errors/enkash-http.error.js';
export { EnkashApiError } from './errors/enkash-api.error.js';
export type { EnkashApiErrorCode, EnkashApiErrorDetails } from './errors/enkash-api.error.js';
export { EnkashPayloadDecryptionError } from './errors/enkash-payload-decryption.error.js';
export type { EnkashPayloadDecryptionReason } from './errors/enkash-payload-decryption.error.js';
export {
  decryptEnkashPayload,
  encryptEnkashPayload,
  enkashPayloadKey,
} from './crypto/enkash-payload-cipher.js';
export type { EnkashCallOptions } from './interfaces/enkash-call-options.interface.js';
export type { EnkashTokenWaitOptions } from './interfaces/enkash-token-wait-options.interface.js';
export type {
  EnkashHttpErrorDetails,
  EnkashHttpErrorResponse,
} from './errors/enkash-http.error.js';
export type {
  EnkashAuthOptions,
  EnkashEnvironment,
  EnkashRedisOptions,
  EnkashServerTokenCheck,
  ResolvedEnkashAuthOptions,
  ResolvedEnkashRedisOptions,
} from './interfaces/enkash-auth-options.interface.js';
export type { EnkashAuthenticatedRequest } from './interfaces/enkash-authenticated-request.interface.js';
export type {
  EnkashTokenState,
  EnkashTokenStatus,
} from './interfaces/enkash-token-status.interface.js';
