import { registerAs } from '@nestjs/config';
import type { ConfigFactoryKeyHost, ConfigType } from '@nestjs/config';
import { resolveEnkashAuthOptions, type RedisListOption } from './enkash-auth.options.js';
import { DEFAULT_ENKASH_REGISTRATION } from './enkash-auth.constants.js';
import type {
  EnkashAuthOptions,
  ResolvedEnkashAuthOptions,
} from './interfaces/enkash-auth-options.interface.js';

/** The environment variable behind each option read by {@link enkashConfig} (the unnamed registration's). */
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
  environment: 'ENKASH_ENVIRONMENT',
  defaultHeaders: 'ENKASH_DEFAULT_HEADERS',
  unwrapEnvelopes: 'ENKASH_UNWRAP_ENVELOPES',
  encryptPayloads: 'ENKASH_ENCRYPT_PAYLOADS',
  /** The URL of the `redis` option; with the two below, the fields of `redis` that have a variable. */
  redis: 'ENKASH_REDIS_URL',
  /** The sentinels of `redis`, their URLs separated by commas. */
  'redis.sentinels': 'ENKASH_REDIS_SENTINELS',
  /** The cluster nodes of `redis`, their URLs separated by commas. */
  'redis.clusterNodes': 'ENKASH_REDIS_CLUSTER_NODES',
} as const satisfies Record<
  Exclude<keyof EnkashAuthOptions, 'tokenStore'> | RedisListOption,
  string
>;

/** Options that may be left out of the environment: an empty variable counts as unset. */
const OPTIONAL_OPTIONS = [
  'environment',
  'defaultHeaders',
  'unwrapEnvelopes',
  'encryptPayloads',
  'tokenPath',
  'refreshBeforeExpirySeconds',
  'tokenRequestTimeoutMs',
  'requestTimeoutMs',
  'acquireOnStartup',
  'serverTokenCheck',
  'redis',
] as const;

/** How the `redis` option is read from its variables: the URL, and the lists of URLs separated by commas. */
function redisFromEnvironment(
  url: string | undefined,
  sentinels: string | undefined,
  clusterNodes: string | undefined,
): Record<string, unknown> | undefined {
  // An empty variable counts as unset, as for every optional one.
  const given = (value: string | undefined): value is string => value !== undefined && value !== '';
  if (!given(url) && !given(sentinels) && !given(clusterNodes)) return undefined;
  return {
    ...(given(url) ? { url } : {}),
    ...(given(sentinels) ? { sentinels: sentinels.split(',') } : {}),
    ...(given(clusterNodes) ? { clusterNodes: clusterNodes.split(',') } : {}),
  };
}

/** Which environment variable holds each option read from the environment. */
export type EnkashEnvironmentVariables = {
  readonly [option in keyof typeof ENKASH_ENVIRONMENT_VARIABLES]: string;
};

/**
 * The environment variables of the registration named `registrationName`: those of
 * {@link ENKASH_ENVIRONMENT_VARIABLES} with `ENKASH_` followed by the name in capitals, `-` turned into `_` (`cards`
 * reads `ENKASH_CARDS_BASE_URL`, ...). The unnamed registration (`registrationName` left out or `'default'`) reads
 * the plain `ENKASH_*` variables.
 */
export function enkashEnvironmentVariables(registrationName?: string): EnkashEnvironmentVariables {
  if (registrationName === undefined || registrationName === DEFAULT_ENKASH_REGISTRATION) {
    return ENKASH_ENVIRONMENT_VARIABLES;
  }
  const prefix = `ENKASH_${registrationName.toUpperCase().replace(/-/g, '_')}_`;
  const variables: Record<string, string> = {};
  for (const [option, variable] of Object.entries(ENKASH_ENVIRONMENT_VARIABLES)) {
    variables[option] = prefix + variable.slice('ENKASH_'.length);
  }
  return variables as EnkashEnvironmentVariables;
}

/**
 * Reads and validates the `ENKASH_*` variables of an environment, with every default applied; with
 * `registrationName`, the variables of that registration (see {@link enkashEnvironmentVariables}). No variable of one
 * registration is ever read for another: each registration's credentials and settings are its own.
 *
 * @throws EnkashAuthError with code `config` naming every missing or invalid variable (never a secret's value).
 */
export function readEnkashOptionsFromEnvironment(
  environment: NodeJS.ProcessEnv = process.env,
  registrationName?: string,
): ResolvedEnkashAuthOptions {
  const variables = enkashEnvironmentVariables(registrationName);
  const raw: Partial<Record<keyof EnkashAuthOptions, unknown>> = {};
  // An optional variable set to an empty string is treated as unset; required ones are reported as empty.
  for (const [option, variable] of Object.entries(variables)) {
    if (option.startsWith('redis')) continue;
    raw[option as keyof EnkashAuthOptions] = environment[variable];
  }
  for (const option of OPTIONAL_OPTIONS) {
    if (raw[option] === '') raw[option] = undefined;
  }
  raw.redis = redisFromEnvironment(
    environment[variables.redis],
    environment[variables['redis.sentinels']],
    environment[variables['redis.clusterNodes']],
  );
  return resolveEnkashAuthOptions(raw, (option) =>
    option === 'tokenStore' ? option : variables[option],
  );
}

/**
 * What `registerAs` gives for the EnKash settings, named so that both builds declare it alike (inferred, it would be
 * spelled out differently in each).
 */
type EnkashConfigFactory = (() => ResolvedEnkashAuthOptions) &
  ConfigFactoryKeyHost<ResolvedEnkashAuthOptions>;

/**
 * The EnKash settings read from the environment through `@nestjs/config`, validated when the module boots.
 *
 * @example
 * EnkashAuthModule.forRootAsync(enkashConfig.asProvider())
 */
export const enkashConfig: EnkashConfigFactory = registerAs(
  'enkash',
  (): ResolvedEnkashAuthOptions => readEnkashOptionsFromEnvironment(),
);

/** The type of the settings {@link enkashConfig} provides, for `@Inject(enkashConfig.KEY)`. */
export type EnkashConfig = ConfigType<typeof enkashConfig>;

/** The settings of each named registration, by registration name. */
const namedConfigs = new Map<string, typeof enkashConfig>();

/**
 * The settings of the registration named `registrationName` read from its own variables (`ENKASH_CARDS_BASE_URL`,
 * ... for `cards`; see {@link enkashEnvironmentVariables}) through `@nestjs/config`, under the key
 * `enkash-<registration name>`. The same object for the same name, so that its `KEY` can be injected anywhere.
 *
 * @example
 * EnkashAuthModule.forRootAsync({ name: 'cards', ...enkashConfigFor('cards').asProvider() })
 */
export function enkashConfigFor(registrationName: string): typeof enkashConfig {
  if (registrationName === DEFAULT_ENKASH_REGISTRATION) return enkashConfig;
  let config = namedConfigs.get(registrationName);
  if (config === undefined) {
    config = registerAs(`enkash-${registrationName}`, (): ResolvedEnkashAuthOptions =>
      readEnkashOptionsFromEnvironment(process.env, registrationName),
    );
    namedConfigs.set(registrationName, config);
  }
  return config;
}
