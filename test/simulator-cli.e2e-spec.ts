import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startEnkashSimulator } from '../lib/testing/index.js';
import {
  childEnvironment,
  compileChildFixtures,
  FixtureProcess,
  removeChildFixtures,
} from './support/child-fixtures.js';
import { until, within } from './support/waiting.js';

// `enkash-simulator` run as a user runs it: a process of its own, compiled from lib/testing/simulator-cli.ts like the
// other child fixtures, its stdout read as the .env file a user would redirect it to.

/** Compiling the fixtures and the library takes a few seconds, more on a loaded machine. */
const COMPILE_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

let outputDirectory: string;
const children: FixtureProcess[] = [];

beforeAll(async () => {
  outputDirectory = await compileChildFixtures('simulator-cli');
}, COMPILE_TIMEOUT_MS);

afterEach(async () => {
  // Whatever happened in the test: no simulator is left running.
  for (const child of children.splice(0)) {
    child.kill();
    await child.exited.catch(() => undefined);
  }
});

afterAll(async () => {
  if (outputDirectory !== undefined) await removeChildFixtures(outputDirectory);
});

/**
 * Starts the command with `args`, in an environment with no ENKASH_* variable of the developer's shell but those of
 * `environment`.
 */
function run(args: string[], environment: Record<string, string> = {}): FixtureProcess {
  const clean = Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => name.startsWith('ENKASH_'))
      .map((name) => [name, undefined]),
  );
  const script = join(outputDirectory, 'lib', 'testing', 'simulator-cli.js');
  const child = new FixtureProcess(script, childEnvironment({ ...clean, ...environment }), args);
  children.push(child);
  return child;
}

/** How the command ended; fails if it still runs after `ms`. */
async function ending(child: FixtureProcess, ms = STOP_TIMEOUT_MS) {
  return within(child.exited, ms, `enkash-simulator still runs after ${ms} ms:\n${child.stderr}`);
}

/** Waits until the command says it listens, and returns the variables it wrote on stdout. */
async function started(child: FixtureProcess): Promise<Record<string, string>> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  await until(
    () => exited || child.stderr.includes('Ctrl-C stops it'),
    START_TIMEOUT_MS,
    `enkash-simulator to start; stderr so far:\n${child.stderr}`,
  );
  if (exited) throw new Error(`enkash-simulator exited at start:\n${child.stderr}`);
  return parseEnv(child.stdout) as Record<string, string>;
}

/** The variable of each line of `output`, in order: every line must be one `KEY=value`. */
function keysOf(output: string): string[] {
  return output
    .trimEnd()
    .split('\n')
    .map((line) => /^([A-Z0-9_]+)=/.exec(line)?.[1] ?? `not a KEY=value line: ${line}`);
}

/** A password grant as the library sends it; the HTTP status and the access token answered. */
async function passwordGrant(
  url: string,
  credentials: { clientId: string; clientSecret: string; username: string; password: string },
): Promise<{ status: number; accessToken: unknown }> {
  const { clientId, clientSecret, username, password } = credentials;
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'password', username, password, clientId }).toString(),
  });
  const body = (await response.json()) as { access_token?: unknown };
  return { status: response.status, accessToken: body.access_token };
}

describe('enkash-simulator, the simulator as a command', () => {
  it('writes exactly the ENKASH_* lines to stdout, and they get a token from it', async () => {
    const child = run(['--port', '0']);
    const variables = await started(child);

    expect(keysOf(child.stdout)).toEqual([
      'ENKASH_BASE_URL',
      'ENKASH_CLIENT_ID',
      'ENKASH_CLIENT_SECRET',
      'ENKASH_USERNAME',
      'ENKASH_PASSWORD',
    ]);
    expect(variables).toMatchObject({
      ENKASH_CLIENT_ID: 'sim-client-id',
      ENKASH_CLIENT_SECRET: 'sim-client-secret',
      ENKASH_USERNAME: 'sim-user@example.com',
      ENKASH_PASSWORD: 'sim-p@ss+w0rd=50%',
    });
    const url = variables['ENKASH_BASE_URL'];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toBe('http://127.0.0.1:0');
    expect(child.stderr).toContain(`listening on ${url}`);

    const answer = await passwordGrant(url, {
      clientId: variables['ENKASH_CLIENT_ID'],
      clientSecret: variables['ENKASH_CLIENT_SECRET'],
      username: variables['ENKASH_USERNAME'],
      password: variables['ENKASH_PASSWORD'],
    });
    expect(answer.status).toBe(200);
    expect(answer.accessToken).toEqual(expect.any(String));
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'closes the simulator on %s and exits 0 by itself',
    async (signal) => {
      const child = run(['--port=0']);
      const url = (await started(child))['ENKASH_BASE_URL'];
      const linesBefore = child.stdout;

      child.signal(signal);
      expect(await ending(child)).toMatchObject({ code: 0, signal: null });
      expect(child.stdout).toBe(linesBefore);
      await expect(fetch(`${url}/oauth/token`)).rejects.toThrow();
    },
  );

  it('writes the variables of the registration given with --name', async () => {
    const child = run(['--port', '0', '--name', 'cards']);
    await started(child);
    expect(keysOf(child.stdout)).toEqual([
      'ENKASH_CARDS_BASE_URL',
      'ENKASH_CARDS_CLIENT_ID',
      'ENKASH_CARDS_CLIENT_SECRET',
      'ENKASH_CARDS_USERNAME',
      'ENKASH_CARDS_PASSWORD',
    ]);
  });

  it('takes its settings from ENKASH_SIMULATOR_* variables, a flag winning over its variable', async () => {
    const child = run(['--port', '0', '--password', 'from the flag & quoted'], {
      ENKASH_SIMULATOR_PORT: '1',
      ENKASH_SIMULATOR_NAME: 'payouts-2',
      ENKASH_SIMULATOR_CLIENT_ID: 'env-client',
      ENKASH_SIMULATOR_CLIENT_SECRET: 'env-secret',
      ENKASH_SIMULATOR_USERNAME: 'env-user@example.com',
      ENKASH_SIMULATOR_PASSWORD: 'from-the-environment',
    });
    const variables = await started(child);
    expect(variables).toEqual({
      ENKASH_PAYOUTS_2_BASE_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      ENKASH_PAYOUTS_2_CLIENT_ID: 'env-client',
      ENKASH_PAYOUTS_2_CLIENT_SECRET: 'env-secret',
      ENKASH_PAYOUTS_2_USERNAME: 'env-user@example.com',
      ENKASH_PAYOUTS_2_PASSWORD: 'from the flag & quoted',
    });
    const answer = await passwordGrant(variables['ENKASH_PAYOUTS_2_BASE_URL'], {
      clientId: 'env-client',
      clientSecret: 'env-secret',
      username: 'env-user@example.com',
      password: 'from the flag & quoted',
    });
    expect(answer.status).toBe(200);
  });

  it('issues tokens of the lifetime given with --token-lifetime', async () => {
    const url = (await started(run(['--port', '0', '--token-lifetime', '120'])))['ENKASH_BASE_URL'];
    const response = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from('sim-client-id:sim-client-secret').toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'password',
        username: 'sim-user@example.com',
        password: 'sim-p@ss+w0rd=50%',
        clientId: 'sim-client-id',
      }).toString(),
    });
    expect(await response.json()).toMatchObject({ expires_in: 120 });
  });

  describe('refuses to start', () => {
    it('with an unknown flag: one line on stderr, nothing on stdout, exit code 2', async () => {
      const child = run(['--port', '0', '--bogus']);
      expect(await ending(child)).toMatchObject({ code: 2, signal: null });
      expect(child.stdout).toBe('');
      expect(child.stderr).toBe('enkash-simulator: unknown option --bogus (see --help)\n');
    });

    it('with a bad variable, naming it, exit code 2', async () => {
      const child = run([], { ENKASH_SIMULATOR_PORT: 'http' });
      expect(await ending(child)).toMatchObject({ code: 2, signal: null });
      expect(child.stdout).toBe('');
      expect(child.stderr).toBe(
        'enkash-simulator: ENKASH_SIMULATOR_PORT must be a whole number from 0 to 65535, got "http"\n',
      );
    });

    it('on a port in use: one line saying so, exit code 1, no stack trace', async () => {
      const occupant = await startEnkashSimulator();
      try {
        const child = run(['--port', String(occupant.port)]);
        expect(await ending(child)).toMatchObject({ code: 1, signal: null });
        expect(child.stdout).toBe('');
        expect(child.stderr).toBe(
          `enkash-simulator: port ${occupant.port} on 127.0.0.1 is in use: choose another with --port ` +
            '(or ENKASH_SIMULATOR_PORT), 0 for a free one\n',
        );
      } finally {
        await occupant.close();
      }
    });
  });

  it('prints its usage on stdout with --help, and exits 0', async () => {
    const child = run(['--help']);
    expect(await ending(child)).toMatchObject({ code: 0, signal: null });
    expect(child.stdout).toMatch(/^Usage: enkash-simulator \[options\]\n/);
    for (const flag of ['--port', '--client-id', '--client-secret', '--username', '--password']) {
      expect(child.stdout).toContain(flag);
    }
    expect(child.stdout).toContain('ENKASH_SIMULATOR_TOKEN_LIFETIME');
    expect(child.stderr).toBe('');
  });
});
