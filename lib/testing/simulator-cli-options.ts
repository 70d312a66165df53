import { parseArgs } from 'node:util';
import { isDotenvWritable } from './simulator-dotenv.js';
import { isRegistrationName } from './simulator-environment.js';
import type { EnkashSimulatorOptions } from './simulator.interfaces.js';

// The command line of `enkash-simulator`, read without side effects so that every case can be unit-tested: each
// setting from its flag, else from its ENKASH_SIMULATOR_* variable (for a container or a CI job), else its default.

/** The port the command listens on when neither `--port` nor `ENKASH_SIMULATOR_PORT` says otherwise. */
export const SIMULATOR_CLI_DEFAULT_PORT = 4010;

/** Each setting: its flag (without `--`) and its environment variable. */
const SETTINGS = {
  port: { flag: 'port', variable: 'ENKASH_SIMULATOR_PORT' },
  clientId: { flag: 'client-id', variable: 'ENKASH_SIMULATOR_CLIENT_ID' },
  clientSecret: { flag: 'client-secret', variable: 'ENKASH_SIMULATOR_CLIENT_SECRET' },
  username: { flag: 'username', variable: 'ENKASH_SIMULATOR_USERNAME' },
  password: { flag: 'password', variable: 'ENKASH_SIMULATOR_PASSWORD' },
  tokenLifetimeSeconds: { flag: 'token-lifetime', variable: 'ENKASH_SIMULATOR_TOKEN_LIFETIME' },
  registrationName: { flag: 'name', variable: 'ENKASH_SIMULATOR_NAME' },
} as const;

type Setting = keyof typeof SETTINGS;

const CREDENTIALS = ['clientId', 'clientSecret', 'username', 'password'] as const;

/** What `--help` prints. */
export const SIMULATOR_CLI_USAGE = `Usage: enkash-simulator [options]

Starts the EnKash token-server simulator of nestjs-enkash-auth on 127.0.0.1, until Ctrl-C or SIGTERM.
Writes the ENKASH_* lines that point the library at it to stdout, everything else to stderr:
  npx enkash-simulator > .env.simulator

Options (each may also come from the environment variable shown; the flag wins):
  --port PORT               port, 0 for a free one (default ${SIMULATOR_CLI_DEFAULT_PORT})
                            ${SETTINGS.port.variable}
  --client-id ID            the OAuth2 client id it accepts
                            ${SETTINGS.clientId.variable}
  --client-secret SECRET    the OAuth2 client secret it accepts
                            ${SETTINGS.clientSecret.variable}
  --username USERNAME       the username of its one user account
                            ${SETTINGS.username.variable}
  --password PASSWORD       the password of that account
                            ${SETTINGS.password.variable}
  --token-lifetime SECONDS  lifetime of the access tokens it issues (default 86399)
                            ${SETTINGS.tokenLifetimeSeconds.variable}
  --name NAME               write the variables of registration NAME: ENKASH_<NAME>_BASE_URL, ...
                            ${SETTINGS.registrationName.variable}
  --help                    print this and exit

Values with spaces or other characters a shell would interpret are written in single quotes.
`;

/** The settings of a run of the command. */
export interface SimulatorCliSettings {
  /** The port to listen on; `0` for a free one. */
  port: number;
  /** The name of the registration whose variables are written (`undefined`: the unnamed one, plain `ENKASH_*`). */
  registrationName: string | undefined;
  /** The simulator's options; a setting not given is left out, for the simulator's default. */
  simulator: Pick<
    EnkashSimulatorOptions,
    'clientId' | 'clientSecret' | 'username' | 'password' | 'tokenLifetimeSeconds'
  >;
}

/** What the command is asked to do. */
export type SimulatorCliCommand =
  { readonly help: true } | { readonly help: false; readonly settings: SimulatorCliSettings };

/** A command line or environment the command cannot run with; its message names the flag or variable. */
export class SimulatorCliUsageError extends Error {
  override readonly name = 'SimulatorCliUsageError';
}

/** A given setting: its text, and the flag or variable it came from, for messages. */
interface Given {
  text: string;
  source: string;
}

/** Turns parseArgs' errors (several lines, Node's wording) into one line that names the flag. */
function usageErrorOf(error: unknown): SimulatorCliUsageError {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return new SimulatorCliUsageError(`unknown option ${quoted} (see --help)`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new SimulatorCliUsageError(`unexpected argument '${quoted}' (see --help)`);
  }
  const flag = quoted.split(' ')[0];
  if (message.includes('does not take an argument')) {
    return new SimulatorCliUsageError(`${flag} takes no value`);
  }
  if (message.includes('ambiguous')) {
    return new SimulatorCliUsageError(
      `${flag} needs a value; for one that starts with '-', write ${flag}=<value>`,
    );
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new SimulatorCliUsageError(`${flag} needs a value`);
  }
  return new SimulatorCliUsageError(message.split('\n')[0]);
}

function portOf({ text, source }: Given): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port <= 65535)) {
    throw new SimulatorCliUsageError(
      `${source} must be a whole number from 0 to 65535, got ${JSON.stringify(text)}`,
    );
  }
  return port;
}

function lifetimeOf({ text, source }: Given): number {
  // A decimal number only: Number() alone would also take '', '0x10' and 'Infinity'.
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(seconds > 0)) {
    throw new SimulatorCliUsageError(
      `${source} must be a number of seconds > 0, got ${JSON.stringify(text)}`,
    );
  }
  return seconds;
}

function registrationNameOf({ text, source }: Given): string {
  if (!isRegistrationName(text)) {
    throw new SimulatorCliUsageError(
      `${source} must be lower-case letters and digits in words joined by '-' (e.g. cards), got ${JSON.stringify(text)}`,
    );
  }
  return text;
}

/** A credential as given; never quoted in a message, as it may be a real one. */
function credentialOf({ text, source }: Given): string {
  if (text === '') throw new SimulatorCliUsageError(`${source} must not be empty`);
  if (!isDotenvWritable(text)) {
    throw new SimulatorCliUsageError(
      `${source} must not hold a single quote or a line break: it could not be written as one .env line`,
    );
  }
  return text;
}

/**
 * Reads the command line (`process.argv.slice(2)`) and the environment of `enkash-simulator`: `--flag value` and
 * `--flag=value` both work; a flag wins over its `ENKASH_SIMULATOR_*` variable; an empty variable counts as unset.
 *
 * @throws SimulatorCliUsageError naming the flag or variable at fault (an unknown flag, a port, lifetime or
 * registration name that makes no sense, an empty credential).
 */
export function parseSimulatorCliArguments(
  args: readonly string[],
  environment: NodeJS.ProcessEnv,
): SimulatorCliCommand {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map(({ flag }) => [flag, { type: 'string' as const }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw usageErrorOf(error);
  }
  if (values['help'] === true) return { help: true };

  const given = (setting: Setting): Given | undefined => {
    const { flag, variable } = SETTINGS[setting];
    const fromFlag = values[flag];
    if (typeof fromFlag === 'string') return { text: fromFlag, source: `--${flag}` };
    const fromEnvironment = environment[variable];
    return fromEnvironment ? { text: fromEnvironment, source: variable } : undefined;
  };

  const port = given('port');
  const lifetime = given('tokenLifetimeSeconds');
  const registrationName = given('registrationName');
  const settings: SimulatorCliSettings = {
    port: port === undefined ? SIMULATOR_CLI_DEFAULT_PORT : portOf(port),
    registrationName:
      registrationName === undefined ? undefined : registrationNameOf(registrationName),
    simulator: {},
  };
  if (lifetime !== undefined) settings.simulator.tokenLifetimeSeconds = lifetimeOf(lifetime);
  for (const credential of CREDENTIALS) {
    const value = given(credential);
    if (value !== undefined) settings.simulator[credential] = credentialOf(value);
  }
  return { help: false, settings };
}
