// The steps every fixture app goes through, in order, as a user would: install the tarball with a plain
// `npm install`, build with the app's own build command, run its own unit and e2e tests, then run the built app and
// check which copy of the library it loaded.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { freeLoopbackPort } from '../../test/support/ports.js';
import { sleep, until, within } from '../../test/support/waiting.js';
import { FixtureApp, tail, type CommandResult } from './fixture-app.js';
import { readmeInstallLine } from './readme-install-line.js';

const REPOSITORY = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROBE = join(REPOSITORY, 'compat', 'support', 'copies-probe.mjs');

/** A fixture app, and how a user of its shape installs the library. */
export interface FixtureSpec {
  /** Its folder under compat/fixtures. */
  name: string;
  /** The Node.js major line it runs on. */
  nodeMajor: number;
  /** The Nest major whose README install line it installs. */
  nestMajor: 10 | 11 | 12;
  /** Optional peers it installs too (terminus, event-emitter, ioredis). */
  optionalPeers: string[];
  /** Majors it installs instead of the README line's, to prove another admitted major: `['@nestjs/schedule@5']`. */
  instead?: string[];
  /** The copy of the library it must load: the CommonJS build or the ES module one. */
  loads: 'cjs' | 'esm';
  /** How many tests its own e2e suite has: a run that executes fewer has not proved anything. */
  e2eTests: number;
  /** The fixture whose `src/` and `test/` it runs, when it differs from that one only in its settings. */
  sourcesFrom?: string;
}

/** The bin folder of Node.js `major`, installed into the cache by scripts/node-line.sh when missing. */
function nodeLine(major: number): string {
  return execFileSync(join(REPOSITORY, 'scripts', 'node-line.sh'), [String(major)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** Fails with the command's last lines unless it exited 0. */
function expectSuccess(result: CommandResult): void {
  if (result.code !== 0) {
    throw new Error(`exited with ${result.code ?? result.signal}:\n${tail(result.output)}`);
  }
}

/** The number of passed tests in a jest or vitest report ("Tests: 7 passed", "Tests  7 passed (7)"). */
function passedTests(output: string): number {
  const counts = [...output.matchAll(/Tests:?\s+(\d+) passed/g)];
  return counts.length === 0 ? 0 : Number(counts[counts.length - 1][1]);
}

async function fetchUntilUp(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok || Date.now() > deadline) return response;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(200);
  }
}

export function describeFixture(spec: FixtureSpec): void {
  describe(`${spec.name} (Node ${spec.nodeMajor})`, () => {
    let app: FixtureApp;
    let failedStep: string | undefined;

    /** A step of the fixture: skipped with a clear message once an earlier one failed. */
    function step(title: string, run: () => Promise<void>): void {
      it(title, async () => {
        if (failedStep !== undefined) throw new Error(`not run: "${failedStep}" failed`);
        try {
          await run();
        } catch (error) {
          failedStep = title;
          throw error;
        }
      });
    }

    beforeAll(() => {
      app = new FixtureApp(spec.name, nodeLine(spec.nodeMajor), spec.sourcesFrom);
    });
    afterAll(() => app?.remove());

    step('installs the tarball with a plain npm install of the README line', async () => {
      const tarball = process.env.ENKASH_COMPAT_TARBALL;
      if (!tarball)
        throw new Error('ENKASH_COMPAT_TARBALL is not set: run through compat/jest.config.js');
      expectSuccess(await app.run('npm', ['ci', '--no-audit', '--no-fund'], 6 * 60_000));
      const install = await app.run(
        'npm',
        ['install', '--no-audit', '--no-fund', tarball, ...peersOf(spec)],
        6 * 60_000,
      );
      expectSuccess(install);
      // npm only warns when it overrides a peer range it could not meet: any such line is a failure here.
      expect(install.output).not.toMatch(/ERESOLVE|peer dep|Could not resolve dependency/i);
      expectSuccess(
        await app.run('npm', ['ls', 'nestjs-enkash-auth', ...peersOf(spec).map(bare)], 60_000),
      );
    });

    step('builds with its own build command', async () => {
      expectSuccess(await app.run('npm', ['run', 'build'], 5 * 60_000));
      expect(existsSync(join(app.directory, 'dist', 'main.js'))).toBe(true);
    });

    step('passes its own unit tests', async () => {
      const result = await app.run('npm', ['test'], 5 * 60_000);
      expectSuccess(result);
      expect(passedTests(result.output)).toBeGreaterThanOrEqual(1);
    });

    step('passes its own e2e tests against the simulator', async () => {
      const result = await app.run('npm', ['run', 'test:e2e'], 5 * 60_000);
      expectSuccess(result);
      expect(passedTests(result.output)).toBe(spec.e2eTests);
    });

    step(
      `runs built against npx enkash-simulator, with the ${spec.loads === 'cjs' ? 'CommonJS' : 'ES module'} copy only`,
      async () => {
        // As the README tells a developer to run an app locally: the simulator command, and its lines as the .env.
        const simulator = app.start('npx', ['enkash-simulator', '--port', '0']);
        let report: LoadedFiles;
        try {
          // Its last message on stderr comes after it wrote the .env lines: they are all there by then.
          await until(() => simulator.output.includes('Ctrl-C stops it'), 30_000, 'the .env lines');
          report = await runBuiltApp(app, parseEnv(simulator.stdout));
        } finally {
          simulator.signal('SIGINT');
          await within(simulator.exited, 10_000, 'npx enkash-simulator still runs after Ctrl-C');
        }
        expect(simulator.output).toContain('enkash-simulator: stopped');
        const loaded = [...new Set([...report.required, ...report.imported])];
        const copy = (file: string): string =>
          /\/nestjs-enkash-auth\/dist\/(\w+)\//.exec(file)?.[1] ?? file;
        expect(loaded.length).toBeGreaterThan(10);
        expect([...new Set(loaded.map(copy))]).toEqual([spec.loads]);
      },
    );
  });
}

/** The files of nestjs-enkash-auth a process loaded, as copies-probe.mjs reports them. */
interface LoadedFiles {
  required: string[];
  imported: string[];
}

/**
 * Runs the app's `dist/main.js` with `variables`, checks that it is healthy and that a call to EnKash through
 * EnkashHttpService is answered, and returns the files of the library it loaded.
 */
async function runBuiltApp(app: FixtureApp, variables: NodeJS.Dict<string>): Promise<LoadedFiles> {
  const port = await freeLoopbackPort();
  const reportFile = join(app.directory, 'copies.json');
  const server = app.start(join(app.nodeBin, 'node'), ['--import', PROBE, 'dist/main.js'], {
    ...(variables as Record<string, string>),
    PORT: String(port),
    ENKASH_COPIES_REPORT: reportFile,
  });
  try {
    const health = await fetchUntilUp(`http://127.0.0.1:${port}/health`, 30_000);
    expect({ status: health.status, output: tail(server.output, 10) }).toMatchObject({
      status: 200,
    });
    // The simulator echoes a call it accepted (a valid bearer token) in its envelope; without one the app answers 500.
    const balance = await fetch(`http://127.0.0.1:${port}/payouts/balance`);
    expect(balance.status).toBe(200);
    expect(await balance.json()).toMatchObject({
      response_code: 0,
      payload: { method: 'GET', path: '/api/v0/payout-account/balance' },
    });
    server.signal('SIGUSR2');
    await until(() => existsSync(reportFile), 5_000, 'the copies report');
  } finally {
    server.signal('SIGTERM');
    await within(server.exited, 10_000, 'the app still runs after SIGTERM');
  }
  return JSON.parse(readFileSync(reportFile, 'utf8')) as LoadedFiles;
}

/** The README's install line for the fixture's Nest major, with its `instead` majors, and its optional peers. */
function peersOf(spec: FixtureSpec): string[] {
  const line = readmeInstallLine(spec.nestMajor);
  for (const replacement of spec.instead ?? []) {
    const index = line.findIndex((peer) => bare(peer) === bare(replacement));
    if (index === -1)
      throw new Error(`the README's Nest ${spec.nestMajor} line has no ${bare(replacement)}`);
    line[index] = replacement;
  }
  return [...line, ...spec.optionalPeers];
}

/** `@nestjs/axios@4` → `@nestjs/axios`. */
function bare(specifier: string): string {
  const at = specifier.lastIndexOf('@');
  return at > 0 ? specifier.slice(0, at) : specifier;
}
