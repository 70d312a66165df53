// How the simulator command writes its variables: `KEY=value` lines that a `.env` reader (dotenv, `node --env-file`)
// and a POSIX shell (`set -a; . ./.env.simulator`) both read back as the same values.

/** Characters neither a `.env` reader nor a shell gives a meaning to: such a value is written bare. */
const BARE_VALUE = /^[A-Za-z0-9_@%+=:/.,-]*$/;

/** Characters that no quoting shared by `.env` readers and shells can carry on one line. */
const UNWRITABLE = /['\r\n]/;

/**
 * Whether `value` can be written as one `.env` line: anything but a single quote or a line break (inside single
 * quotes, neither a `.env` reader nor a shell expands `$`, `#`, `\`, spaces or double quotes).
 */
export function isDotenvWritable(value: string): boolean {
  return !UNWRITABLE.test(value);
}

/** `KEY=value`, the value in single quotes when it holds anything a `.env` reader or a shell would interpret. */
export function dotenvLine(key: string, value: string): string {
  if (!isDotenvWritable(value)) {
    throw new RangeError(`${key} holds a single quote or a line break: it cannot be one .env line`);
  }
  return BARE_VALUE.test(value) ? `${key}=${value}` : `${key}='${value}'`;
}

/** The variables as `.env` text: one {@link dotenvLine} per variable, each ended by a line break. */
export function dotenvText(variables: Readonly<Record<string, string>>): string {
  return Object.entries(variables)
    .map(([key, value]) => `${dotenvLine(key, value)}\n`)
    .join('');
}
