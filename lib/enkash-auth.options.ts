import { EnkashAuthError } from './errors/enkash-auth.error.js';
import {
  ENKASH_AUTH_DEFAULTS,
  ENKASH_PAYOUTS_HOSTS,
  ENKASH_REDIS_DEFAULTS,
} from './enkash-auth.constants.js';
import type { Cluster, Redis } from 'ioredis';
import type {
  EnkashAuthOptions,
  EnkashEnvironment,
  EnkashServerTokenCheck,
  ResolvedEnkashAuthOptions,
  ResolvedEnkashRedisOptions,
} from './interfaces/enkash-auth-options.interface.js';
import type { TokenStore } from './store/token-store.interface.js';
import { invalidConfiguration } from './enkash-auth.messages.js';
import { parseUrl } from './http/request-target.js';
import { parseRedisUrl } from './store/redis-topology.js';

type OptionName = keyof EnkashAuthOptions;

/** The fields of `redis` that the environment gives in variables of their own, beside its URL. */
export type RedisListOption = 'redis.sentinels' | 'redis.clusterNodes';

/** How a setting is named to the user: the option key for `forRoot`, the variable for `enkashConfig`. */
export type OptionLabeller = (option: OptionName | RedisListOption) => string;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
// Large enough for any sane timeout, small enough to stay inside setTimeout's 32-bit range.
const MAX_TIMEOUT_MS = 2_147_483_647;
const MAX_REFRESH_BEFORE_EXPIRY_SECONDS = 7 * 24 * 3600;

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * A value as it may be echoed in an error: whatever sits between the scheme (or the start) and the last `@` could be
 * credentials, `/` and `@` included, and is masked.
 */
function shown(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const scheme = text.indexOf('//');
  const from = scheme >= 0 && scheme < at ? scheme + 2 : 0;
  return `${text.slice(0, from)}***${text.slice(at)}`;
}

/** Whether a text has leading or trailing whitespace. */
function padded(value: string): boolean {
  return value !== value.trim();
}

/** A string that would be valid but for surrounding whitespace: it gets the whitespace message, clearer there. */
function validButPadded(value: unknown, valid: RegExp): value is string {
  return typeof value === 'string' && padded(value) && valid.test(value.trim());
}

/**
 * Values are taken literally: surrounding whitespace is reported, never trimmed, whatever the setting. A stray space
 * from a .env file would fail the login (EnKash locks the account after 3 failures), and a rule with no exceptions
 * is the easiest to state. A secret's value is never echoed.
 */
function whitespaceProblem(value: string, label: string, { secret }: { secret: boolean }): string {
  return `${label} has leading or trailing whitespace${secret ? '' : ` ("${shown(value)}")`}: remove it`;
}

function checkRequiredText(
  value: unknown,
  label: string,
  problems: string[],
  { secret }: { secret: boolean },
): string {
  if (value === undefined || value === null) {
    problems.push(`${label} is required`);
    return '';
  }
  if (typeof value !== 'string') {
    problems.push(`${label} must be a string`);
    return '';
  }
  if (value.trim() === '') {
    problems.push(`${label} is required (it is empty or only whitespace)`);
    return '';
  }
  if (padded(value)) problems.push(whitespaceProblem(value, label, { secret }));
  return value;
}

/**
 * ` (got "…")` for a URL that parsed, credentials masked; nothing for one that did not: `https://:secret` has no `@`
 * for {@link shown} to mask at.
 */
function gotUrl(text: string, url: URL | undefined): string {
  return url === undefined ? '' : ` (got "${shown(text)}")`;
}

function checkBaseUrl(value: unknown, label: string, problems: string[]): string {
  const text = checkRequiredText(value, label, problems, { secret: false }).trim();
  if (text === '') return '';
  const url = parseUrl(text);
  // `api.enkash.in:443` parses, as the scheme "api.enkash.in:" with no host: it is a missing scheme all the same.
  if (url === undefined || url.host === '') {
    problems.push(
      `${label} must be an absolute URL such as https://api.enkash.in${gotUrl(text, url)}`,
    );
    return '';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    problems.push(
      `${label} must use https:// (plain http:// is allowed only for loopback hosts; got "${url.protocol}//${url.host}")`,
    );
  }
  if (url.username || url.password) {
    problems.push(`${label} must not contain credentials`);
  }
  if (url.search || url.hash) {
    problems.push(`${label} must not contain a query string or a fragment`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

const ENVIRONMENTS = Object.keys(ENKASH_PAYOUTS_HOSTS) as EnkashEnvironment[];

function checkEnvironment(
  value: unknown,
  label: string,
  problems: string[],
): EnkashEnvironment | undefined {
  if (value === undefined) return undefined;
  if (ENVIRONMENTS.includes(value as EnkashEnvironment)) return value as EnkashEnvironment;
  if (validButPadded(value, /^(uat|production)$/)) {
    problems.push(whitespaceProblem(value, label, { secret: false }));
    return undefined;
  }
  const got = typeof value === 'string' ? ` (got "${shown(value)}")` : '';
  problems.push(`${label} must be one of ${ENVIRONMENTS.join(', ')}${got}`);
  return undefined;
}

/**
 * `baseUrl`, or the host of `environment` when `baseUrl` is not set. An environment that is itself invalid has been
 * reported: a missing `baseUrl` is then not reported as well.
 */
function checkBaseUrlOrEnvironment(
  options: Partial<Record<OptionName, unknown>>,
  labelOf: OptionLabeller,
  problems: string[],
): { baseUrl: string; environment: EnkashEnvironment | undefined } {
  const environment = checkEnvironment(options.environment, labelOf('environment'), problems);
  // An empty ENKASH_BASE_URL beside ENKASH_ENVIRONMENT is a .env template's blank line, not a mistake.
  const baseUrlLeftOut =
    options.baseUrl === undefined || (options.baseUrl === '' && options.environment !== undefined);
  if (baseUrlLeftOut && options.environment !== undefined) {
    return {
      baseUrl: environment === undefined ? '' : ENKASH_PAYOUTS_HOSTS[environment],
      environment,
    };
  }
  if (options.baseUrl === undefined) {
    problems.push(
      `${labelOf('baseUrl')} is required (or ${labelOf('environment')}: ${ENVIRONMENTS.join(' or ')})`,
    );
    return { baseUrl: '', environment };
  }
  return { baseUrl: checkBaseUrl(options.baseUrl, labelOf('baseUrl'), problems), environment };
}

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * `defaultHeaders`: an object of header names to strings, or its JSON text (from the environment). Values are never
 * echoed: a header may carry a key.
 */
function checkDefaultHeaders(
  value: unknown,
  label: string,
  problems: string[],
): Readonly<Record<string, string>> {
  if (value === undefined) return Object.freeze({});
  let headers: unknown = value;
  if (typeof value === 'string') {
    try {
      headers = JSON.parse(value) as unknown;
    } catch {
      headers = undefined;
    }
  }
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    problems.push(
      `${label} must be ${typeof value === 'string' ? 'a JSON object' : 'an object'} of header names to values, ` +
        `such as {"partnerId":"P123"}`,
    );
    return Object.freeze({});
  }
  const checked: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(headers as Record<string, unknown>)) {
    if (!HEADER_NAME.test(name)) {
      problems.push(`${label} has an invalid header name "${name.replace(/[^\x20-\x7e]/g, '?')}"`);
    } else if (name.toLowerCase() === 'authorization') {
      problems.push(`${label} must not set Authorization: the library sends the access token`);
    } else if (typeof headerValue !== 'string' || headerValue.trim() === '') {
      problems.push(`${label}: the value of ${name} must be a non-empty string`);
    } else if (/[\r\n\0]/.test(headerValue)) {
      problems.push(`${label}: the value of ${name} must not contain line breaks`);
    } else if (padded(headerValue)) {
      problems.push(`${label}: the value of ${name} has leading or trailing whitespace: remove it`);
    } else {
      checked[name] = headerValue;
    }
  }
  return Object.freeze(checked);
}

function checkTokenPath(value: unknown, label: string, problems: string[]): string {
  if (value === undefined) return ENKASH_AUTH_DEFAULTS.tokenPath;
  if (typeof value === 'string' && padded(value)) {
    problems.push(whitespaceProblem(value, label, { secret: false }));
    return ENKASH_AUTH_DEFAULTS.tokenPath;
  }
  if (typeof value !== 'string' || !value.startsWith('/') || /[\s?#]/.test(value)) {
    problems.push(`${label} must be a path starting with "/" such as /oauth/token`);
    return ENKASH_AUTH_DEFAULTS.tokenPath;
  }
  return value;
}

function checkPositiveInteger(
  value: unknown,
  fallback: number,
  max: number,
  label: string,
  problems: string[],
): number {
  if (value === undefined) return fallback;
  if (validButPadded(value, /^\d+$/)) {
    problems.push(whitespaceProblem(value, label, { secret: false }));
    return fallback;
  }
  // Digits only: `1e3`, `0x10`, `+5` or `30.0` would be read by Number(), but are more likely mistakes than intent.
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number <= 0 || number > max) {
    const got = typeof value === 'string' || typeof value === 'number' ? ` (got "${value}")` : '';
    problems.push(`${label} must be a positive whole number no greater than ${max}${got}`);
    return fallback;
  }
  return number;
}

function checkBoolean(
  value: unknown,
  fallback: boolean,
  label: string,
  problems: string[],
): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (validButPadded(value, /^(true|false)$/)) {
    problems.push(whitespaceProblem(value, label, { secret: false }));
    return fallback;
  }
  problems.push(
    `${label} must be true or false${typeof value === 'string' ? ` (got "${shown(value)}")` : ''}`,
  );
  return fallback;
}

const SERVER_TOKEN_CHECKS: readonly EnkashServerTokenCheck[] = ['auto', 'always', 'never'];

function checkServerTokenCheck(
  value: unknown,
  label: string,
  problems: string[],
): EnkashServerTokenCheck {
  const fallback = ENKASH_AUTH_DEFAULTS.serverTokenCheck;
  if (value === undefined) return fallback;
  if (SERVER_TOKEN_CHECKS.includes(value as EnkashServerTokenCheck)) {
    return value as EnkashServerTokenCheck;
  }
  if (validButPadded(value, /^(auto|always|never)$/)) {
    problems.push(whitespaceProblem(value, label, { secret: false }));
    return fallback;
  }
  const got = typeof value === 'string' ? ` (got "${shown(value)}")` : '';
  problems.push(`${label} must be one of ${SERVER_TOKEN_CHECKS.join(', ')}${got}`);
  return fallback;
}

const MAX_STORE_OPERATION_TIMEOUT_MS = 60_000;
const TOKEN_STORE_METHODS = [
  'get',
  'set',
  'acquireLock',
  'releaseLock',
  'onTokenWritten',
] as const satisfies readonly (keyof TokenStore)[];

function isTokenStore(value: unknown): value is TokenStore {
  return (
    typeof value === 'object' &&
    value !== null &&
    TOKEN_STORE_METHODS.every(
      (method) => typeof (value as Record<string, unknown>)[method] === 'function',
    )
  );
}

function checkRedisUrl(value: unknown, label: string, problems: string[]): string {
  const text = checkRequiredText(value, label, problems, { secret: false });
  if (text === '' || padded(text)) return '';
  const url = parseUrl(text);
  if (
    url === undefined ||
    (url.protocol !== 'redis:' && url.protocol !== 'rediss:') ||
    url.hostname === ''
  ) {
    problems.push(
      `${label} must be a redis:// or rediss:// URL such as redis://localhost:6379${gotUrl(text, url)}`,
    );
    return '';
  }
  return text;
}

/**
 * A `{` in a key prefix must open a hash tag (`{...}` with something inside): Redis Cluster then hashes only the tag,
 * and every key of the library shares its slot. An unclosed or empty one would let the token key and the lock key of
 * one account land on different nodes.
 */
function opensHashTagProperly(keyPrefix: string): boolean {
  const open = keyPrefix.indexOf('{');
  if (open < 0) return true;
  const close = keyPrefix.indexOf('}', open + 1);
  return close > open + 1;
}

/**
 * A list of Redis URLs (`clusterNodes`, `sentinels`; the environment's are split at commas already). Each must be a `redis://` or `rediss://` URL without a database; all must share one scheme
 * and one set of credentials, which ioredis uses for each. Never echoes a password.
 */
function checkRedisUrlList(
  value: unknown,
  label: string,
  problems: string[],
  example: string,
): readonly string[] | undefined {
  const list: unknown = value;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(
      `${label} must be a non-empty list of redis:// or rediss:// URLs such as ${example}`,
    );
    return undefined;
  }
  const urls: string[] = [];
  for (const [index, each] of list.entries()) {
    const itemLabel = `${label}[${index}]`;
    const text = checkRedisUrl(each, itemLabel, problems);
    if (text === '') continue;
    if (parseRedisUrl(text)?.db !== undefined || parseRedisUrl(text) === undefined) {
      problems.push(
        `${itemLabel} must be a redis:// or rediss:// URL such as ${example}, without a database or a query string`,
      );
      continue;
    }
    urls.push(text);
  }
  if (urls.length !== list.length) return undefined;
  const [first, ...others] = urls.map((url) => parseRedisUrl(url)!);
  const differ = others.some(
    (other) =>
      other.tls !== first!.tls ||
      other.username !== first!.username ||
      other.password !== first!.password,
  );
  if (differ) {
    problems.push(
      `${label} must share one scheme and one set of credentials (ioredis uses the same for each)`,
    );
    return undefined;
  }
  return Object.freeze(urls);
}

/**
 * `redis` of the options: exactly one of a URL (with sentinels, or not), cluster nodes and a client. In the
 * environment the URL, the sentinels and the cluster nodes have variables, and each problem is named after its
 * variable.
 */
function checkRedis(
  value: unknown,
  labelOf: OptionLabeller,
  problems: string[],
): ResolvedEnkashRedisOptions | undefined {
  if (value === undefined) return undefined;
  const label = labelOf('redis');
  const fieldLabel = (field: string): string => (label === 'redis' ? `redis.${field}` : label);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${label} must be an object with a url, clusterNodes or a client`);
    return undefined;
  }
  const given = value as Record<string, unknown>;
  const keyPrefix = given.keyPrefix ?? ENKASH_REDIS_DEFAULTS.keyPrefix;
  if (
    typeof keyPrefix !== 'string' ||
    keyPrefix === '' ||
    /\s/.test(keyPrefix) ||
    keyPrefix.length > 100
  ) {
    problems.push(
      `${fieldLabel('keyPrefix')} must be a non-empty string without whitespace, at most 100 characters`,
    );
  } else if (!opensHashTagProperly(keyPrefix)) {
    problems.push(
      `${fieldLabel('keyPrefix')} must close the { it opens, with something in between (a Redis Cluster hash tag such as {app}:)`,
    );
  }
  const operationTimeoutMs = checkPositiveInteger(
    given.operationTimeoutMs,
    ENKASH_REDIS_DEFAULTS.operationTimeoutMs,
    MAX_STORE_OPERATION_TIMEOUT_MS,
    fieldLabel('operationTimeoutMs'),
    problems,
  );
  const common = { keyPrefix: String(keyPrefix), operationTimeoutMs };
  const targets = (['url', 'clusterNodes', 'client'] as const).filter(
    (field) => given[field] !== undefined,
  );
  if (targets.length > 1) {
    const names = targets.map((field) => labelOfField(field, labelOf));
    problems.push(
      `${names.slice(0, -1).join(', ')} and ${names.at(-1)} cannot be set together: ` +
        `${label} takes one of url, clusterNodes and client`,
    );
    return undefined;
  }
  if (given.sentinels !== undefined && given.url === undefined) {
    problems.push(
      `${labelOf('redis.sentinels')} needs ${labelOfField('url', labelOf)} naming the primary as the sentinels ` +
        'know it, such as redis://mymaster',
    );
    return undefined;
  }
  if (given.client !== undefined) {
    const client = given.client as { duplicate?: unknown } | null;
    if (typeof client !== 'object' || client === null || typeof client.duplicate !== 'function') {
      problems.push(`${fieldLabel('client')} must be an ioredis client (a Redis or a Cluster)`);
      return undefined;
    }
    return { ...common, client: given.client as Redis | Cluster };
  }
  if (given.clusterNodes !== undefined) {
    const clusterNodes = checkRedisUrlList(
      given.clusterNodes,
      labelOf('redis.clusterNodes'),
      problems,
      'redis://10.0.0.1:6379',
    );
    return clusterNodes === undefined ? undefined : { ...common, clusterNodes };
  }
  const url = checkRedisUrl(given.url, fieldLabel('url'), problems);
  if (given.sentinels === undefined) return url === '' ? undefined : { ...common, url };
  const sentinels = checkRedisUrlList(
    given.sentinels,
    labelOf('redis.sentinels'),
    problems,
    'redis://10.0.0.1:26379',
  );
  const primary = url === '' ? undefined : parseRedisUrl(url);
  if (url !== '' && (primary === undefined || primary.port !== undefined)) {
    problems.push(
      `${fieldLabel('url')} must name the primary as the sentinels know it, without a port: ` +
        'redis://[[user]:password@]<name>[/db], such as redis://mymaster',
    );
    return undefined;
  }
  return url === '' || sentinels === undefined ? undefined : { ...common, url, sentinels };
}

/** How one field of `redis` is named: `redis.url` for `forRoot`, its variable for the environment. */
function labelOfField(field: 'url' | 'clusterNodes' | 'client', labelOf: OptionLabeller): string {
  if (field === 'clusterNodes') return labelOf('redis.clusterNodes');
  const label = labelOf('redis');
  return label === 'redis' ? `redis.${field}` : label;
}

function checkTokenStore(
  value: unknown,
  redis: unknown,
  labelOf: OptionLabeller,
  problems: string[],
): TokenStore | undefined {
  if (value === undefined) return undefined;
  if (!isTokenStore(value)) {
    problems.push(
      `${labelOf('tokenStore')} must implement TokenStore (${TOKEN_STORE_METHODS.join(', ')})`,
    );
    return undefined;
  }
  if (redis !== undefined) {
    problems.push(
      `${labelOf('tokenStore')} and ${labelOf('redis')} cannot both be set: choose one store`,
    );
  }
  return value;
}

/**
 * Validates options and applies defaults. Every problem is collected, so that a user fixes their `.env` in one go;
 * values of secrets are never echoed.
 *
 * @throws EnkashAuthError with code `config`, naming each invalid setting.
 */
export function resolveEnkashAuthOptions(
  options: Partial<Record<OptionName, unknown>>,
  labelOf: OptionLabeller = (option) => option,
): ResolvedEnkashAuthOptions {
  if (options === null || typeof options !== 'object') {
    throw new EnkashAuthError('config', invalidConfiguration(['the options object is missing']));
  }
  const problems: string[] = [];
  const { baseUrl, environment } = checkBaseUrlOrEnvironment(options, labelOf, problems);
  const resolved: ResolvedEnkashAuthOptions = {
    baseUrl,
    clientId: checkRequiredText(options.clientId, labelOf('clientId'), problems, { secret: false }),
    clientSecret: checkRequiredText(options.clientSecret, labelOf('clientSecret'), problems, {
      secret: true,
    }),
    username: checkRequiredText(options.username, labelOf('username'), problems, { secret: true }),
    password: checkRequiredText(options.password, labelOf('password'), problems, { secret: true }),
    tokenPath: checkTokenPath(options.tokenPath, labelOf('tokenPath'), problems),
    refreshBeforeExpirySeconds: checkPositiveInteger(
      options.refreshBeforeExpirySeconds,
      ENKASH_AUTH_DEFAULTS.refreshBeforeExpirySeconds,
      MAX_REFRESH_BEFORE_EXPIRY_SECONDS,
      labelOf('refreshBeforeExpirySeconds'),
      problems,
    ),
    tokenRequestTimeoutMs: checkPositiveInteger(
      options.tokenRequestTimeoutMs,
      ENKASH_AUTH_DEFAULTS.tokenRequestTimeoutMs,
      MAX_TIMEOUT_MS,
      labelOf('tokenRequestTimeoutMs'),
      problems,
    ),
    requestTimeoutMs: checkPositiveInteger(
      options.requestTimeoutMs,
      ENKASH_AUTH_DEFAULTS.requestTimeoutMs,
      MAX_TIMEOUT_MS,
      labelOf('requestTimeoutMs'),
      problems,
    ),
    acquireOnStartup: checkBoolean(
      options.acquireOnStartup,
      ENKASH_AUTH_DEFAULTS.acquireOnStartup,
      labelOf('acquireOnStartup'),
      problems,
    ),
    serverTokenCheck: checkServerTokenCheck(
      options.serverTokenCheck,
      labelOf('serverTokenCheck'),
      problems,
    ),
    defaultHeaders: checkDefaultHeaders(
      options.defaultHeaders,
      labelOf('defaultHeaders'),
      problems,
    ),
    unwrapEnvelopes: checkBoolean(
      options.unwrapEnvelopes,
      ENKASH_AUTH_DEFAULTS.unwrapEnvelopes,
      labelOf('unwrapEnvelopes'),
      problems,
    ),
    encryptPayloads: checkBoolean(
      options.encryptPayloads,
      ENKASH_AUTH_DEFAULTS.encryptPayloads,
      labelOf('encryptPayloads'),
      problems,
    ),
  };
  const redis = checkRedis(options.redis, labelOf, problems);
  const tokenStore = checkTokenStore(options.tokenStore, options.redis, labelOf, problems);
  if (problems.length > 0) {
    throw new EnkashAuthError('config', invalidConfiguration(problems));
  }
  return Object.freeze({
    ...resolved,
    ...(environment !== undefined ? { environment } : {}),
    ...(redis !== undefined ? { redis: Object.freeze(redis) } : {}),
    ...(tokenStore !== undefined ? { tokenStore } : {}),
  });
}
