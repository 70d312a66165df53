import { describe, expect, it } from '@jest/globals';
import {
  parseSimulatorCliArguments,
  SIMULATOR_CLI_DEFAULT_PORT,
  SimulatorCliUsageError,
  type SimulatorCliSettings,
} from './simulator-cli-options.js';

/** The settings of a command line that must be valid. */
function settingsOf(args: string[], environment: NodeJS.ProcessEnv = {}): SimulatorCliSettings {
  const command = parseSimulatorCliArguments(args, environment);
  if (command.help) throw new Error('expected settings, got --help');
  return command.settings;
}

/** The message of the usage error a command line must cause. */
function usageErrorOf(args: string[], environment: NodeJS.ProcessEnv = {}): string {
  try {
    parseSimulatorCliArguments(args, environment);
  } catch (error) {
    expect(error).toBeInstanceOf(SimulatorCliUsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${JSON.stringify(args)}`);
}

describe('the enkash-simulator command line', () => {
  it('defaults to port 4010, the unnamed registration and the simulator’s own credentials', () => {
    expect(SIMULATOR_CLI_DEFAULT_PORT).toBe(4010);
    expect(settingsOf([])).toEqual({ port: 4010, registrationName: undefined, simulator: {} });
  });

  it('reads every flag, as --flag value and as --flag=value', () => {
    const expected: SimulatorCliSettings = {
      port: 0,
      registrationName: 'business-unit-2',
      simulator: {
        clientId: 'id',
        clientSecret: 'secret',
        username: 'me@example.com',
        password: 'p@ss word&=+#$',
        tokenLifetimeSeconds: 2.5,
      },
    };
    const flags = {
      port: '0',
      name: 'business-unit-2',
      'client-id': 'id',
      'client-secret': 'secret',
      username: 'me@example.com',
      password: 'p@ss word&=+#$',
      'token-lifetime': '2.5',
    };
    const entries = Object.entries(flags);
    expect(settingsOf(entries.flatMap(([flag, value]) => [`--${flag}`, value]))).toEqual(expected);
    expect(settingsOf(entries.map(([flag, value]) => `--${flag}=${value}`))).toEqual(expected);
  });

  it('reads every setting from its ENKASH_SIMULATOR_* variable', () => {
    const settings = settingsOf([], {
      ENKASH_SIMULATOR_PORT: '4999',
      ENKASH_SIMULATOR_NAME: 'cards',
      ENKASH_SIMULATOR_CLIENT_ID: 'env-id',
      ENKASH_SIMULATOR_CLIENT_SECRET: 'env-secret',
      ENKASH_SIMULATOR_USERNAME: 'env-user',
      ENKASH_SIMULATOR_PASSWORD: 'env-pass',
      ENKASH_SIMULATOR_TOKEN_LIFETIME: '60',
    });
    expect(settings).toEqual({
      port: 4999,
      registrationName: 'cards',
      simulator: {
        clientId: 'env-id',
        clientSecret: 'env-secret',
        username: 'env-user',
        password: 'env-pass',
        tokenLifetimeSeconds: 60,
      },
    });
  });

  it('lets a flag win over its variable, and ignores an empty variable', () => {
    const settings = settingsOf(['--port', '5000', '--password', 'from-flag'], {
      ENKASH_SIMULATOR_PORT: '4999',
      ENKASH_SIMULATOR_PASSWORD: 'from-env',
      ENKASH_SIMULATOR_USERNAME: '',
      ENKASH_SIMULATOR_TOKEN_LIFETIME: '',
    });
    expect(settings).toEqual({
      port: 5000,
      registrationName: undefined,
      simulator: { password: 'from-flag' },
    });
  });

  it('accepts default as the name of the unnamed registration', () => {
    expect(settingsOf(['--name', 'default']).registrationName).toBe('default');
  });

  it('asks for help with --help, whatever else is given', () => {
    expect(parseSimulatorCliArguments(['--help'], {})).toEqual({ help: true });
    expect(parseSimulatorCliArguments(['--port', '1', '--help'], {})).toEqual({ help: true });
  });

  describe('refuses, naming the flag or variable at fault', () => {
    it.each([
      [['--verbose'], 'unknown option --verbose (see --help)'],
      [['-p', '1'], 'unknown option -p (see --help)'],
      [['4010'], "unexpected argument '4010' (see --help)"],
      [['--port'], '--port needs a value'],
      [
        ['--port', '--name', 'x'],
        "--port needs a value; for one that starts with '-', write --port=<value>",
      ],
      [['--help=yes'], '--help takes no value'],
      [['--port', 'http'], '--port must be a whole number from 0 to 65535, got "http"'],
      [['--port=4010.5'], '--port must be a whole number from 0 to 65535, got "4010.5"'],
      [['--port=-1'], '--port must be a whole number from 0 to 65535, got "-1"'],
      [['--port', '65536'], '--port must be a whole number from 0 to 65535, got "65536"'],
      [['--port='], '--port must be a whole number from 0 to 65535, got ""'],
      [['--token-lifetime', '0'], '--token-lifetime must be a number of seconds > 0, got "0"'],
      [['--token-lifetime=-5'], '--token-lifetime must be a number of seconds > 0, got "-5"'],
      [
        ['--token-lifetime', 'soon'],
        '--token-lifetime must be a number of seconds > 0, got "soon"',
      ],
      [
        ['--token-lifetime', 'Infinity'],
        '--token-lifetime must be a number of seconds > 0, got "Infinity"',
      ],
      [
        ['--name', 'Cards'],
        'must be lower-case letters and digits in words joined by \'-\' (e.g. cards), got "Cards"',
      ],
      [['--name', 'my_cards'], 'got "my_cards"'],
      [['--client-id='], '--client-id must not be empty'],
      [['--password', "it's"], '--password must not hold a single quote or a line break'],
      [['--username', 'a\nb'], '--username must not hold a single quote or a line break'],
    ])('%j', (args, message) => {
      expect(usageErrorOf(args)).toContain(message);
    });

    it.each([
      [
        'ENKASH_SIMULATOR_PORT',
        'nope',
        'ENKASH_SIMULATOR_PORT must be a whole number from 0 to 65535',
      ],
      [
        'ENKASH_SIMULATOR_TOKEN_LIFETIME',
        '-1',
        'ENKASH_SIMULATOR_TOKEN_LIFETIME must be a number of seconds > 0',
      ],
      ['ENKASH_SIMULATOR_NAME', 'Cards', 'ENKASH_SIMULATOR_NAME must be lower-case letters'],
      ['ENKASH_SIMULATOR_PASSWORD', "'", 'ENKASH_SIMULATOR_PASSWORD must not hold a single quote'],
    ])('%s=%j', (variable, value, message) => {
      expect(usageErrorOf([], { [variable]: value })).toContain(message);
    });

    it('never quotes a credential in its message', () => {
      expect(usageErrorOf(['--client-secret', "s3cr3t'"])).not.toContain('s3cr3t');
    });

    it('keeps each message on one line', () => {
      expect(usageErrorOf(['--port', '-1'])).not.toContain('\n');
    });
  });
});
