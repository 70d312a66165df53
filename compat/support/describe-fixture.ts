// The steps every fixture app goes through, in order, as a user would: install the tarball with a plain
// `npm install`, build with the app's own build command, run its own unit and e2e tests, then run the built app and
// check which copy of the library it loaded.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEnkashSimulator, type EnkashSimulator } from '../../lib/testing/index.js';
import { freeLoopbackPort } from '../../test/support/ports.js';
import { sleep, until } from '../../test/support/waiting.js';
import { FixtureApp, tail, type CommandResult } from './fixture-app.js';

const REPOSITORY = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROBE = join(REPOSITORY, 'compat', 'support', 'copies-probe.mjs');

/** A fixture app, and how a user of its shape installs the library. */
export interface FixtureSpec {
  /** Its folder under compat/fixtures. */
  name: string;
  /** The Node.js major line it runs on. */
  nodeMajor: number;
  /** What the README's install line for its Nest major installs besides the tarball. */
  peers: string[];
  /** The copy of the library it must load: the CommonJS build or the ES module one. */
  loads: 'cjs' | 'esm';
  /** How many tests its own e2e suite has: a run that executes fewer has not proved anything. */
  e2eTests: number;
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
      app = new FixtureApp(spec.name, nodeLine(spec.nodeMajor));
    });
    afterAll(() => app?.remove());

    step('installs the tarball with a plain npm install of the README line', async () => {
      const tarball = process.env.ENKASH_COMPAT_TARBALL;
      if (!tarball)
        throw new Error('ENKASH_COMPAT_TARBALL is not set: run through compat/jest.config.js');
      expectSuccess(await app.run('npm', ['ci', '--no-audit', '--no-fund'], 10 * 60_000));
      const install = await app.run(
        'npm',
        ['install', '--no-audit', '--no-fund', tarball, ...spec.peers],
        10 * 60_000,
      );
      expectSuccess(install);
      // npm only warns when it overrides a peer range it could not meet: any such line is a failure here.
      expect(install.output).not.toMatch(/ERESOLVE|peer dep|Could not resolve dependency/i);
      expectSuccess(
        await app.run('npm', ['ls', 'nestjs-enkash-auth', ...spec.peers.map(bare)], 60_000),
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
      `runs built, with the ${spec.loads === 'cjs' ? 'CommonJS' : 'ES module'} copy only`,
      async () => {
        const simulator: EnkashSimulator = await startEnkashSimulator();
        const port = await freeLoopbackPort();
        const report = join(app.directory, 'copies.json');
        const child = spawn(join(app.nodeBin, 'node'), ['--import', PROBE, 'dist/main.js'], {
          cwd: app.directory,
          env: app.environment({
            ...simulator.environment(),
            PORT: String(port),
            ENKASH_COPIES_REPORT: report,
          }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        try {
          const health = await fetchUntilUp(`http://127.0.0.1:${port}/health`, 30_000);
          expect({ status: health.status, output: tail(output, 10) }).toMatchObject({
            status: 200,
          });
          const balance = await fetch(`http://127.0.0.1:${port}/payouts/balance`);
          expect(balance.status).toBe(200);
          expect(simulator.resourceCalls.at(-1)?.authorization).toBe(
            `Bearer ${simulator.currentAccessToken}`,
          );
          child.kill('SIGUSR2');
          await until(() => existsSync(report), 5_000, 'the copies report');
        } finally {
          child.kill('SIGTERM');
          await exited;
          await simulator.close();
        }
        const { required, imported } = JSON.parse(readFileSync(report, 'utf8')) as {
          required: string[];
          imported: string[];
        };
        const loaded = [...new Set([...required, ...imported])];
        const copy = (file: string): string =>
          /\/nestjs-enkash-auth\/dist\/(\w+)\//.exec(file)?.[1] ?? file;
        expect(loaded.length).toBeGreaterThan(10);
        expect([...new Set(loaded.map(copy))]).toEqual([spec.loads]);
      },
    );
  });
}

/** `@nestjs/axios@4` → `@nestjs/axios`. */
function bare(specifier: string): string {
  const at = specifier.lastIndexOf('@');
  return at > 0 ? specifier.slice(0, at) : specifier;
}
