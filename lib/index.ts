export { EnkashAuthModule } from './enkash-auth.module.js';
export { ENKASH_AUTH_MODULE_OPTIONS } from './enkash-auth.module-definition.js';
export type {
  EnkashAuthModuleAsyncOptions,
  EnkashAuthModuleExtras,
  EnkashAuthModuleOptions,
} from './enkash-auth.module-definition.js';
export { EnkashAuthService } from './enkash-auth.service.js';
export {
  enkashConfig,
  readEnkashOptionsFromEnvironment,
  ENKASH_ENVIRONMENT_VARIABLES,
} from './enkash-auth.config.js';
export type { EnkashConfig } from './enkash-auth.config.js';
export { ENKASH_AUTH_DEFAULTS, ENKASH_TOKEN_RENEWAL_TIMEOUT } from './enkash-auth.constants.js';
export { EnkashAuthError } from './errors/enkash-auth.error.js';
export type { EnkashAuthErrorCode, EnkashAuthErrorDetails } from './errors/enkash-auth.error.js';
export type {
  EnkashAuthOptions,
  ResolvedEnkashAuthOptions,
} from './interfaces/enkash-auth-options.interface.js';
export type {
  EnkashTokenState,
  EnkashTokenStatus,
} from './interfaces/enkash-token-status.interface.js';
