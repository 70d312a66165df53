import { registerAs } from '@nestjs/config';
import type { ConfigType } from '@nestjs/config';
import { resolveEnkashAuthOptions } from './enkash-auth.options.js';
import type {
  EnkashAuthOptions,
  ResolvedEnkashAuthOptions,
} from './interfaces/enkash-auth-options.interface.js';

/** The environment variable behind each option read by {@link enkashConfig}. */
export const ENKASH_ENVIRONMENT_VARIABLES = {
  baseUrl: 'ENKASH_BASE_URL',
  clientId: 'ENKASH_CLIENT_ID',
  clientSecret: 'ENKASH_CLIENT_SECRET',
  username: 'ENKASH_USERNAME',
  password: 'ENKASH_PASSWORD',
  tokenPath: 'ENKASH_TOKEN_PATH',
  refreshBeforeExpirySeconds: 'ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS',
  tokenRequestTimeoutMs: 'ENKASH_TOKEN_TIMEOUT_MS',
  requestTimeoutMs: 'ENKASH_REQUEST_TIMEOUT_MS',
  acquireOnStartup: 'ENKASH_ACQUIRE_ON_STARTUP',
  serverTokenCheck: 'ENKASH_SERVER_TOKEN_CHECK',
  /** Only the URL of the `redis` option has a variable. */
  redis: 'ENKASH_REDIS_URL',
} as const satisfies Record<Exclude<keyof EnkashAuthOptions, 'tokenStore'>, string>;

/** Options that may be left out of the environment: an empty variable counts as unset. */
const OPTIONAL_OPTIONS = [
  'tokenPath',
  'refreshBeforeExpirySeconds',
  'tokenRequestTimeoutMs',
  'requestTimeoutMs',
  'acquireOnStartup',
  'serverTokenCheck',
  'redis',
] as const;

/**
 * Reads and validates the `ENKASH_*` variables of an environment, with every default applied.
 *
 * @throws EnkashAuthError with code `config` naming every missing or invalid variable (never a secret's value).
 */
export function readEnkashOptionsFromEnvironment(
  environment: NodeJS.ProcessEnv = process.env,
): ResolvedEnkashAuthOptions {
  const raw: Partial<Record<keyof EnkashAuthOptions, unknown>> = {};
  // An optional variable set to an empty string is treated as unset; required ones are reported as empty.
  for (const [option, variable] of Object.entries(ENKASH_ENVIRONMENT_VARIABLES)) {
    raw[option as keyof EnkashAuthOptions] = environment[variable];
  }
  for (const option of OPTIONAL_OPTIONS) {
    if (raw[option] === '') raw[option] = undefined;
  }
  if (raw.redis !== undefined) raw.redis = { url: raw.redis };
  return resolveEnkashAuthOptions(raw, (option) =>
    option === 'tokenStore' ? option : ENKASH_ENVIRONMENT_VARIABLES[option],
  );
}

/**
 * The EnKash settings read from the environment through `@nestjs/config`, validated when the module boots.
 *
 * @example
 * EnkashAuthModule.forRootAsync(enkashConfig.asProvider())
 */
export const enkashConfig = registerAs('enkash', (): ResolvedEnkashAuthOptions =>
  readEnkashOptionsFromEnvironment(),
);

/** The type of the settings {@link enkashConfig} provides, for `@Inject(enkashConfig.KEY)`. */
export type EnkashConfig = ConfigType<typeof enkashConfig>;
