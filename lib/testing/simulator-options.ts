import type { EnkashSimulatorOptions } from './simulator.interfaces.js';

/** The simulator's options with every default filled in (the port aside). */
export type ResolvedSimulatorOptions = Required<Omit<EnkashSimulatorOptions, 'port'>>;

/** Defaults of {@link EnkashSimulatorOptions}. */
export const SIMULATOR_DEFAULTS: Readonly<ResolvedSimulatorOptions> = Object.freeze({
  clientId: 'sim-client-id',
  clientSecret: 'sim-client-secret',
  username: 'sim-user@example.com',
  password: 'sim-p@ss+w0rd=50%',
  tokenPath: '/oauth/token',
  tokenLifetimeSeconds: 86399,
  refreshTokenLifetimeSeconds: 30 * 24 * 60 * 60,
  lockAfterFailedLogins: 3,
  responseCase: 'snake',
  requireEncryptedPayloads: false,
  requiredHeaders: Object.freeze({}),
  envelopeCasing: 'snake',
});

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Throws a `RangeError` unless `seconds` is a finite number > 0. */
export function checkTokenLifetime(seconds: number): void {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new RangeError(`tokenLifetimeSeconds must be a finite number > 0, got ${seconds}`);
  }
}

/** Throws a `TypeError` unless `value` is a string. */
export function checkString(name: string, value: unknown): void {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
}

/** Throws a `TypeError` unless `value` is a boolean. */
export function checkBoolean(name: string, value: unknown): void {
  if (typeof value !== 'boolean') {
    throw new TypeError(`${name} must be true or false, got ${String(value)}`);
  }
}

/**
 * A copy of `requiredHeaders` after checking it: an object of header names to string values, no name twice (names are
 * case-insensitive). Values are never quoted in errors: they may be credentials.
 */
function checkRequiredHeaders(headers: unknown): Record<string, string> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new TypeError('requiredHeaders must be an object of header names to values');
  }
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) {
      throw new RangeError(`requiredHeaders: ${JSON.stringify(name)} is not a valid header name`);
    }
    if (seen.has(name.toLowerCase())) {
      throw new RangeError(
        `requiredHeaders: header ${name} is given twice (names are case-insensitive)`,
      );
    }
    seen.add(name.toLowerCase());
    if (typeof value !== 'string') throw new TypeError(`requiredHeaders: ${name} must be a string`);
  }
  return { ...(headers as Record<string, string>) };
}

/** Fills in defaults and validates; throws `RangeError`/`TypeError` on nonsense. */
export function resolveSimulatorOptions(options: EnkashSimulatorOptions): ResolvedSimulatorOptions {
  const { port: _port, ...given } = options;
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const resolved: ResolvedSimulatorOptions = { ...SIMULATOR_DEFAULTS, ...defined };
  for (const key of ['clientId', 'clientSecret', 'username', 'password', 'tokenPath'] as const) {
    checkString(key, resolved[key]);
  }
  if (!resolved.tokenPath.startsWith('/')) {
    throw new RangeError(`tokenPath must start with '/', got '${resolved.tokenPath}'`);
  }
  checkTokenLifetime(resolved.tokenLifetimeSeconds);
  const refresh = resolved.refreshTokenLifetimeSeconds;
  if (typeof refresh !== 'number' || Number.isNaN(refresh) || refresh <= 0) {
    throw new RangeError(`refreshTokenLifetimeSeconds must be a number > 0, got ${refresh}`);
  }
  const lock = resolved.lockAfterFailedLogins;
  if (!(lock === Infinity || (Number.isInteger(lock) && lock >= 0))) {
    throw new RangeError(`lockAfterFailedLogins must be an integer >= 0 or Infinity, got ${lock}`);
  }
  if (resolved.responseCase !== 'snake' && resolved.responseCase !== 'camel') {
    throw new RangeError(`responseCase must be 'snake' or 'camel', got '${resolved.responseCase}'`);
  }
  checkBoolean('requireEncryptedPayloads', resolved.requireEncryptedPayloads);
  resolved.requiredHeaders = checkRequiredHeaders(resolved.requiredHeaders);
  if (resolved.envelopeCasing !== 'snake' && resolved.envelopeCasing !== 'camel') {
    throw new RangeError(
      `envelopeCasing must be 'snake' or 'camel', got '${resolved.envelopeCasing}'`,
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  return resolved;
}
