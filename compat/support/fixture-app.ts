// A fixture app of the compatibility suite, copied from compat/fixtures/<name> into a folder of its own outside the
// repository, where it installs, builds and tests as a user's app would.
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** How a command ended, and what it printed. */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** The last `lines` lines of a command's output, for a failure message or the suite's log. */
export function tail(output: string, lines = 40): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A command left running by {@link FixtureApp.start}. */
export interface RunningCommand {
  /** What it has printed on stdout so far. */
  stdout: string;
  /** What it has printed on stdout and stderr so far. */
  output: string;
  /** Its exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
  /**
   * Sends `signal` to its whole process group unless it has ended, as a terminal's Ctrl-C does: `npx` passes no
   * signal on to the command it runs.
   */
  signal(signal: NodeJS.Signals): void;
}

export class FixtureApp {
  readonly directory: string;
  private readonly parent: string;
  /** What {@link start} left running, ended by {@link remove} if a failing test did not. */
  private readonly started: RunningCommand[] = [];

  /**
   * @param name the folder under compat/fixtures.
   * @param nodeBin the bin folder of the Node.js the app runs on: first in the PATH of its commands.
   * @param sourcesFrom another fixture whose `src/` and `test/` this one runs, when it differs only in its settings.
   */
  constructor(
    readonly name: string,
    readonly nodeBin: string,
    sourcesFrom?: string,
  ) {
    this.parent = mkdtempSync(join(tmpdir(), `enkash-compat-${name}-`));
    this.directory = join(this.parent, name);
    if (sourcesFrom !== undefined) {
      for (const folder of ['src', 'test']) {
        cpSync(join(FIXTURES, sourcesFrom, folder), join(this.directory, folder), {
          recursive: true,
        });
      }
    }
    cpSync(join(FIXTURES, name), this.directory, { recursive: true });
  }

  /**
   * The environment of the app's commands: this one's, with the chosen Node first, without npm variables, and with
   * the npm settings that would let an install through which a user's plain `npm install` refuses turned off
   * (variables win over any .npmrc, whose other settings, such as a CA file, this machine may need).
   */
  environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !/^(npm_|ENKASH_)/i.test(name) && name !== 'NODE_OPTIONS',
      ),
    );
    return {
      ...inherited,
      PATH: `${this.nodeBin}${delimiter}${process.env.PATH}`,
      npm_config_legacy_peer_deps: 'false',
      npm_config_force: 'false',
      CI: 'true',
      NO_COLOR: '1',
      ...extra,
    };
  }

  /** Runs `command` in the app's folder and resolves with its output once it ends (killed after `timeoutMs`). */
  run(command: string, args: string[], timeoutMs: number): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: this.directory,
        env: this.environment(),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => {
        output += `\n[killed after ${timeoutMs} ms]`;
        process.kill(-child.pid!, 'SIGKILL');
      }, timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const result = { code, signal, output: `$ ${command} ${args.join(' ')}\n${output}` };
        this.log(result);
        resolve(result);
      });
    });
  }

  /**
   * Starts `command` in the app's folder, with `extra` in its environment, in a process group of its own, and leaves
   * it running.
   */
  start(command: string, args: string[], extra: Record<string, string> = {}): RunningCommand {
    const child = spawn(command, args, {
      cwd: this.directory,
      env: this.environment(extra),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const running: RunningCommand = {
      stdout: '',
      output: '',
      exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal))),
      signal: (signal) => {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
      },
    };
    child.stdout.on('data', (chunk: Buffer) => {
      running.stdout += chunk.toString();
      running.output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (running.output += chunk.toString()));
    this.started.push(running);
    return running;
  }

  /** Appends a command's output to `$ENKASH_COMPAT_LOGS/<fixture>.log`, when that folder is given. */
  private log({ code, signal, output }: CommandResult): void {
    const folder = process.env.ENKASH_COMPAT_LOGS;
    if (!folder) return;
    mkdirSync(folder, { recursive: true });
    appendFileSync(join(folder, `${this.name}.log`), `${output}\n[exit ${code ?? signal}]\n\n`);
  }

  /** Kills whatever it started that still runs, and removes the app's folder. */
  remove(): void {
    for (const running of this.started) running.signal('SIGKILL');
    rmSync(this.parent, { recursive: true, force: true });
  }
}
