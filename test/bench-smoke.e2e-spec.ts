// The bench's smoke run, so that it never rots: `npm run bench -- --quick` compiles the bench with type checks and
// runs every section at a fraction of its size. Its speed figures are not asserted (they are the bench's business,
// and a loaded CI machine would make them fail at random); what must hold at any speed is.
import { spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { childEnvironment } from './support/child-fixtures.js';

const RUN_LIMIT_MS = 240_000;

const SECTIONS = [
  '1. Per-call overhead',
  '2. Cold start',
  '3. Cached token',
  '4. Renewals under load',
  '5. Memory',
  '6. Replicas',
  '7. Failures a caller should never see',
  '8. A fleet of replicas on one Redis',
];

/** Runs an npm command in the repository and collects its output; the whole process group is killed past `ms`. */
function npm(
  args: string[],
  ms: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // The npm that runs this test when there is one, else the one on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, commandArgs] =
    npmCli !== undefined && npmCli.endsWith('.js')
      ? [process.execPath, [npmCli, ...args]]
      : ['npm', args];
  // At the lowest CPU priority, with its children: the suites running beside it keep the cores they time things on.
  const child = spawn('nice', ['-n', '19', command, ...commandArgs], {
    cwd: new URL('..', import.meta.url),
    env: childEnvironment({}),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: the bench's children (simulator, replicas, redis-server) go with it when killed.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const limit = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), ms);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The row of `section`'s table whose first cell is `label` (the first row when `label` is undefined), as header →
 * cell.
 */
function row(output: string, section: string, label: string | undefined): Record<string, string> {
  // A section prints its heading, its setup, then its table, each after a blank line.
  const after = output.slice(output.indexOf(`### ${section}\n`));
  const table = after.split('\n\n')[2] ?? '';
  const cells = (line: string): string[] =>
    line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim());
  const [header, _separator, ...rows] = table.split('\n').map(cells);
  const found = rows.find((candidate) => label === undefined || candidate[0] === label);
  if (header === undefined || found === undefined) {
    throw new Error(`No row "${label}" in section "${section}":\n${after}`);
  }
  return Object.fromEntries(header.map((name, index) => [name, found[index] ?? '']));
}

describe('npm run bench -- --quick', () => {
  it(
    'prints every section, the targets, and counts that hold at any speed',
    async () => {
      const { code, stdout, stderr } = await npm(['run', 'bench', '--', '--quick'], RUN_LIMIT_MS);
      expect({ code, stderr: stderr.includes('bench failed') ? stderr : '' }).toEqual({
        code: 0,
        stderr: '',
      });
      for (const section of SECTIONS) expect(stdout).toContain(`### ${section}`);
      expect(stdout).toContain('### Targets');
      // 1,000 cold callers of getAccessToken(): one token request, and none of them failed.
      const coldStart = row(stdout, '2. Cold start', 'EnkashAuthService.getAccessToken()');
      expect(coldStart).toMatchObject({ 'token requests': '1', 'failed calls': '0' });
      // No call of the library's failed: not in the per-call comparison, not across renewals, not in the memory run.
      for (const label of ['EnkashHttpService (Observable)', 'EnkashHttpService.axiosRef']) {
        expect(row(stdout, '1. Per-call overhead', label)['failed calls']).toBe('0');
      }
      const renewals = row(stdout, '4. Renewals under load', 'EnkashHttpService.axiosRef');
      expect(renewals['failed calls']).toBe('0');
      // The bench saw the renewals it measures around (it reads them from the library's log lines).
      expect(Number(renewals['renewals'])).toBeGreaterThan(0);
      const memory = row(stdout, '5. Memory', undefined);
      expect(memory['failed calls']).toBe('0');
    },
    RUN_LIMIT_MS + 10_000,
  );
});
