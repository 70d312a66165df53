import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs jest on the fixture files only, with the project's configuration (its test environment included). */
function runJestOnFixtures(): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const jest = spawn(
      process.execPath,
      [
        '--experimental-vm-modules',
        'node_modules/jest/bin/jest.js',
        '--roots',
        '<rootDir>/test/fixtures',
        '--testMatch',
        '**/late-unhandled-rejection.fixture.ts',
        '--ci',
      ],
      { cwd: REPOSITORY_ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    let output = '';
    jest.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    jest.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    jest.on('error', reject);
    jest.on('close', (exitCode) => resolve({ exitCode, output }));
  });
}

describe('the test environment of every suite', () => {
  it('fails the run when a promise rejection goes unhandled, even after the last test passed', async () => {
    const { exitCode, output } = await runJestOnFixtures();

    expect(exitCode).toBe(1);
    expect(output).toContain(
      '1 unhandled promise rejection(s) during this suite: Error: a background renewal nobody awaited',
    );
  });
});
