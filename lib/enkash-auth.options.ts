import { EnkashAuthError } from './errors/enkash-auth.error.js';
import { ENKASH_AUTH_DEFAULTS } from './enkash-auth.constants.js';
import type {
  EnkashAuthOptions,
  ResolvedEnkashAuthOptions,
} from './interfaces/enkash-auth-options.interface.js';
import { invalidConfiguration } from './enkash-auth.messages.js';

type OptionName = keyof EnkashAuthOptions;

/** How a setting is named to the user: the option key for `forRoot`, the variable for `enkashConfig`. */
export type OptionLabeller = (option: OptionName) => string;

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

function checkBaseUrl(value: unknown, label: string, problems: string[]): string {
  const text = checkRequiredText(value, label, problems, { secret: false }).trim();
  if (text === '') return '';
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  // `api.enkash.in:443` parses, as the scheme "api.enkash.in:" with no host: it is a missing scheme all the same.
  if (url === undefined || url.host === '') {
    problems.push(
      `${label} must be an absolute URL such as https://api.enkash.in (got "${shown(text)}")`,
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
  const resolved: ResolvedEnkashAuthOptions = {
    baseUrl: checkBaseUrl(options.baseUrl, labelOf('baseUrl'), problems),
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
  };
  if (problems.length > 0) {
    throw new EnkashAuthError('config', invalidConfiguration(problems));
  }
  return Object.freeze(resolved);
}
