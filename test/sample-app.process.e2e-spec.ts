import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freeLoopbackPort } from './support/ports.js';
import { within } from './support/waiting.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `npm start` compiles the library and the sample first: a few seconds, more on a loaded machine. */
const START_TIMEOUT_MS = 50_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * The environment of a newcomer who has configured nothing: no ENKASH_* or sample variables (a developer's shell
 * may export some), and NODE_ENV=test so that the sample app ignores a developer's local `.env`.
 */
function unconfiguredEnvironment(port: number): NodeJS.ProcessEnv {
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('ENKASH_') && name !== 'AUDIT_WEBHOOK_URL',
    ),
  );
  return { ...environment, PORT: String(port), NODE_ENV: 'test', NO_COLOR: '1' };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start, with nothing configured', () => {
  let port: number;
  let npm: ChildProcess;
  let output = '';
  let exited: Promise<unknown>;
  let closed = false;

  /** Resolves once the output matches `pattern`; rejects if npm exits or time runs out first. */
  function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`No ${pattern} in ${timeoutMs} ms. Output so far:\n${output}`));
      }, timeoutMs);
      const check = (): void => {
        if (!pattern.test(output)) return;
        finish();
        resolve();
      };
      const onExit = (): void => {
        finish();
        reject(new Error(`npm start exited before ${pattern}. Output:\n${output}`));
      };
      const finish = (): void => {
        clearTimeout(timer);
        npm.stdout?.off('data', check);
        npm.stderr?.off('data', check);
        npm.off('exit', onExit);
      };
      npm.stdout?.on('data', check);
      npm.stderr?.on('data', check);
      npm.on('exit', onExit);
      check();
    });
  }

  /** The lines the app wrote through Nest's logger, without npm's own. */
  const nestLines = (): string[] => output.split('\n').filter((line) => line.startsWith('[Nest]'));

  beforeAll(async () => {
    port = await freeLoopbackPort();
    npm = spawn('npm', ['start'], {
      cwd: REPOSITORY_ROOT,
      env: unconfiguredEnvironment(port),
      // Its own process group, so that afterAll can stop npm and node together whatever happened.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // 'close', not 'exit': node shares npm's pipes, so they close once both have exited and all output is read.
    exited = once(npm, 'close').finally(() => {
      closed = true;
    });
    for (const stream of [npm.stdout, npm.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        output += chunk;
      });
    }
    await waitForOutput(/Listening on http:\/\/localhost:\d+/, START_TIMEOUT_MS);
  }, START_TIMEOUT_MS + 5_000);

  afterAll(() => {
    // The whole process group npm start created (npm, node), even if npm has exited and left node behind.
    if (npm?.pid === undefined || closed) return;
    try {
      process.kill(-npm.pid, 'SIGKILL');
    } catch {
      // ESRCH: everything has exited already.
    }
  });

  it('first says it uses the bundled EnKash simulator, and how to use a real EnKash', async () => {
    const [first, second] = nestLines();
    expect(first).toMatch(/bundled EnKash simulator at http:\/\/127\.0\.0\.1:\d+/);
    expect(second).toMatch(/ENKASH_BASE_URL.*\.env\.example/);
    expect(output).toContain(`Listening on http://localhost:${port}`);
    // The example commands follow the "Listening" line.
    await waitForOutput(/curl -X POST http:\/\/localhost:\d+\/payouts\/transfers/, 2_000);
    expect(output).toContain(`curl http://localhost:${port}/payouts/balance`);
  });

  it('serves GET /payouts/balance through the simulator', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/payouts/balance`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      response_code: 0,
      payload: { method: 'GET', path: '/api/v0/payout-account/balance' },
    });
  });

  it('serves GET /health: up, a token being held', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      info: { enkash: { status: 'up', registration: 'default', state: 'valid' } },
    });
  });

  it('stops cleanly within 5 s of SIGTERM, node and the simulator with it', async () => {
    const nodePid = Number(/^\[Nest\] (\d+)/.exec(nestLines()[0] ?? '')?.[1]);
    expect(nodePid).toBeGreaterThan(0);

    const sentAt = Date.now();
    npm.kill('SIGTERM');
    await within(exited, STOP_TIMEOUT_MS, 'npm start still runs 5 s after SIGTERM');

    expect(Date.now() - sentAt).toBeLessThan(STOP_TIMEOUT_MS);
    expect(isRunning(nodePid)).toBe(false);
    // Written by the app's shutdown hooks: the signal reached node, which closed the app before exiting.
    expect(output).toContain('Bundled EnKash simulator closed');
  });
});
