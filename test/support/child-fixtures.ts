// Child processes for tests that need a whole application in a process of its own (shutdown, several replicas):
// fixtures under test/fixtures are compiled once per suite with tsconfig.child.json, then run with plain node.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURE_REPORT_PREFIX } from '../fixtures/fixture-report.js';
import { sleep } from './waiting.js';

/**
 * The directory of this project's package.json, found by walking up: this file also runs compiled, from the bench's
 * output directory (dist-bench/), where a fixed `../..` would land elsewhere.
 */
function repositoryRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
        name?: unknown;
      };
      if (manifest.name === 'nestjs-enkash-auth') return directory;
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = dirname(directory);
    if (parent === directory)
      throw new Error('nestjs-enkash-auth: package.json not found above the tests');
    directory = parent;
  }
}

const REPOSITORY_ROOT = repositoryRoot();

/** Where a child's compiled fixture goes: under node_modules, so that it resolves @nestjs/* from the project. */
export const CHILD_OUTPUT_ROOT = join(
  REPOSITORY_ROOT,
  'node_modules',
  '.cache',
  'nestjs-enkash-auth-tests',
);

export interface ChildReport {
  event: string;
  [detail: string]: unknown;
}

/** A running fixture process, its output and its reports. */
export class FixtureProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  private readonly child: ChildProcess;
  private running = true;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(script: string, env: NodeJS.ProcessEnv, args: readonly string[] = []) {
    this.child = spawn(process.execPath, [script, ...args], {
      cwd: REPOSITORY_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // 'close': the process has exited and its output has been read to the end.
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', (error) => {
        this.running = false;
        reject(error);
      });
      this.child.once('close', (code, signal) => {
        this.running = false;
        this.exit = { code, signal };
        resolve({ code, signal, at: Date.now() });
      });
    });
    // Reported by report() or by whoever awaits `exited`, not as an unhandled rejection as well.
    this.exited.catch(() => undefined);
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  /** The reports printed so far. */
  reports(): ChildReport[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith(`${FIXTURE_REPORT_PREFIX}{`))
      .map((line) => JSON.parse(line.slice(FIXTURE_REPORT_PREFIX.length)) as ChildReport);
  }

  /** The `event` report and when it was seen; fails when the process exits or `ms` pass first. */
  async report(event: string, ms: number): Promise<{ report: ChildReport; at: number }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.reports().find((report) => report.event === event);
      if (found !== undefined) return { report: found, at: Date.now() };
      if (!this.running || Date.now() >= deadline) {
        const ending =
          this.exit === undefined
            ? `within ${ms} ms`
            : `before it exited (code ${String(this.exit.code)}, signal ${String(this.exit.signal)})`;
        throw new Error(
          `No "${event}" report from the child ${ending}. stdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      }
      await sleep(10);
    }
  }

  /** What the child printed after its `closed` report. */
  outputAfterClosed(): string {
    const index = this.stdout.indexOf(`${FIXTURE_REPORT_PREFIX}{"event":"closed"`);
    const rest = index < 0 ? '' : this.stdout.slice(index);
    return rest.slice(rest.indexOf('\n') + 1);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

/**
 * Compiles every fixture of tsconfig.child.json into a directory of its own and returns it; the fixture
 * `test/fixtures/x.ts` is then `<directory>/test/fixtures/x.js`, and the simulator command
 * `lib/testing/simulator-cli.ts` is `<directory>/lib/testing/simulator-cli.js`.
 */
export async function compileChildFixtures(suite: string): Promise<string> {
  const outputDirectory = join(CHILD_OUTPUT_ROOT, `${suite}-${process.pid}-${randomUUID()}`);
  // No type check: `npx tsc --noEmit -p tsconfig.json` checks these files; here only the emit is needed, fast.
  const compiler = spawn(
    process.execPath,
    [
      'node_modules/typescript/bin/tsc',
      '-p',
      'test/fixtures/tsconfig.child.json',
      '--outDir',
      outputDirectory,
      '--noCheck',
    ],
    { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  compiler.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  compiler.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    compiler.once('error', reject);
    compiler.once('close', resolve);
  });
  if (code !== 0) throw new Error(`Compiling the child fixtures failed (${code}):\n${output}`);
  // Node looks for the package scope up to node_modules only: without this, the output would load as CommonJS.
  await writeFile(join(outputDirectory, 'package.json'), '{ "type": "module" }\n');
  return outputDirectory;
}

/** Removes what {@link compileChildFixtures} wrote. */
export async function removeChildFixtures(outputDirectory: string): Promise<void> {
  await rm(outputDirectory, { recursive: true, force: true });
  // Only once empty: another run may be using it.
  await rmdir(CHILD_OUTPUT_ROOT).catch(() => undefined);
}

/** The environment of a child: the test's own, without the flags meant for jest. */
export function childEnvironment(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // Without NODE_OPTIONS: flags meant for jest (--experimental-vm-modules) would make the child print warnings.
  const { NODE_OPTIONS: _jestOptions, ...environment } = process.env;
  return { ...environment, NO_COLOR: '1', ...extra };
}
