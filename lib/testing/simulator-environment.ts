import type { ResolvedSimulatorOptions } from './simulator-options.js';

// The library's rule for naming a registration's ENKASH_* variables, written again here rather than imported from
// enkash-auth.config.ts: the simulator shares no code with the client it tests. A test reads these variables back with
// the library's own readEnkashOptionsFromEnvironment, so that the two copies cannot drift apart unnoticed.

/** The registration that reads the plain `ENKASH_*` variables, as the library names it. */
const UNNAMED_REGISTRATION = 'default';

/**
 * The token path the library uses when `ENKASH_TOKEN_PATH` is not set. The simulator's own default is the same path,
 * so the variable is written only for a simulator started with another one: the usual five lines stay five.
 */
const LIBRARY_TOKEN_PATH = '/oauth/token';

/** Lower-case letters and digits in words joined by `-`, as the library accepts for a registration's name. */
const REGISTRATION_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Whether the library accepts `text` as a registration's name (`cards`, `business-unit-2`; not `Cards`,
 * `my_cards`).
 */
export function isRegistrationName(text: string): boolean {
  return REGISTRATION_NAME.test(text);
}

/** `ENKASH_` for the unnamed registration, else `ENKASH_<NAME>_` with `-` turned into `_` (`ENKASH_CARDS_`). */
function variablePrefix(registrationName: string | undefined): string {
  if (registrationName === undefined || registrationName === UNNAMED_REGISTRATION) return 'ENKASH_';
  return `ENKASH_${registrationName.toUpperCase().replace(/-/g, '_')}_`;
}

/**
 * The environment variables that point the registration named `registrationName` (the unnamed one when left out) at
 * a simulator listening on `url` with `options`; frozen, so that a caller cannot change what the next call returns.
 *
 * @throws RangeError when `registrationName` is not a name the library would accept.
 */
export function simulatorEnvironment(
  url: string,
  options: ResolvedSimulatorOptions,
  registrationName?: string,
): Readonly<Record<string, string>> {
  if (registrationName !== undefined && !isRegistrationName(registrationName)) {
    throw new RangeError(
      "a registration name must be lower-case letters and digits in words joined by '-', got " +
        JSON.stringify(registrationName),
    );
  }
  const prefix = variablePrefix(registrationName);
  const variables: Record<string, string> = {
    [`${prefix}BASE_URL`]: url,
    [`${prefix}CLIENT_ID`]: options.clientId,
    [`${prefix}CLIENT_SECRET`]: options.clientSecret,
    [`${prefix}USERNAME`]: options.username,
    [`${prefix}PASSWORD`]: options.password,
  };
  if (options.tokenPath !== LIBRARY_TOKEN_PATH)
    variables[`${prefix}TOKEN_PATH`] = options.tokenPath;
  return Object.freeze(variables);
}
