import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from './ports.js';
import { sleep } from './waiting.js';

/** One key of a {@link RedisServer}, as {@link RedisServer.dump} reads it. */
export interface RedisEntry {
  readonly key: string;
  /** The value of a string key; `null` for other types. */
  readonly value: string | null;
  /** What `PTTL` answered: milliseconds left, `-1` when the key never expires. */
  readonly ttlMs: number;
}

/** A real `redis-server` of one suite on a loopback port, which tests can stop, start again, pause and resume. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Whether its process is running (started, and neither stopped nor killed since). */
  readonly running: boolean;
  /** The password it requires, if any; its own connections (`dump`, `command`) send it. */
  readonly password: string | undefined;
  /** Stops the server (SIGTERM) and waits for it to exit: connections are refused until {@link start}. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL), as a crash or a lost machine would, and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port, and waits until it answers. */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and connecting works, but nothing is answered. */
  pause(): void;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
  /** Resumes it if paused, then stops it. Idempotent: for afterEach and afterAll. */
  close(): Promise<void>;
  /** Every key with its value and TTL, read on a connection of its own. */
  dump(): Promise<RedisEntry[]>;
  /** Runs one command on a connection of its own, e.g. `command('PUBSUB', 'NUMSUB', channel)`. */
  command(name: string, ...args: (string | number)[]): Promise<unknown>;
}

/** How long the server may take to start answering, or to exit. */
const STARTUP_TIMEOUT_MS = 5_000;
const EXIT_TIMEOUT_MS = 5_000;

/** How a Redis process of a test is started: which of Debian's binaries, with which arguments. */
export interface RedisProcessSpec {
  /** `redis-server`, or `redis-sentinel` (which takes its configuration file as its first argument). */
  readonly command: 'redis-server' | 'redis-sentinel';
  /** Every argument, the port included: the process must listen on 127.0.0.1 at the port it is started for. */
  readonly args: readonly string[];
  /** The password the process requires (`requirepass`), which the test's own connections then send. */
  readonly password?: string;
}

/** The Debian package of each binary, for the message when it is missing. */
const PACKAGE_OF: Record<RedisProcessSpec['command'], string> = {
  'redis-server': 'redis-server',
  'redis-sentinel': 'redis-sentinel',
};

/** Starts a `redis-server` without persistence on a free loopback port, and waits until it answers PING. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freeLoopbackPort();
  return startRedisProcess(port, {
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  });
}

/**
 * Starts a Redis process of a topology's (a cluster node, a sentinel) on `port`, and waits until it answers PING.
 * Whoever starts it closes it.
 */
export async function startRedisProcess(
  port: number,
  spec: RedisProcessSpec,
): Promise<RedisServer> {
  const server = new RedisServerProcess(port, spec);
  await server.start();
  return server;
}

class RedisServerProcess implements RedisServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private paused = false;
  private output = '';

  constructor(
    readonly port: number,
    private readonly spec: RedisProcessSpec,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  get password(): string | undefined {
    return this.spec.password;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error(`This ${this.spec.command} is already running`);
    const child = spawn(this.spec.command, [...this.spec.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.paused = false;
    this.output = '';
    const keepOutput = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-2_000);
    };
    child.stdout?.on('data', keepOutput);
    child.stderr?.on('data', keepOutput);
    let failure: Error | undefined;
    let running = true;
    this.exited = new Promise((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        failure =
          error.code === 'ENOENT'
            ? new Error(
                `${this.spec.command} is not installed: install it: apt-get install -y ${PACKAGE_OF[this.spec.command]}`,
              )
            : error;
        running = false;
        resolve();
      });
      child.once('exit', () => {
        running = false;
        resolve();
      });
    });
    const deadline = performance.now() + STARTUP_TIMEOUT_MS;
    while (!(await answersPing(this.port))) {
      if (!running || performance.now() >= deadline) {
        await this.close();
        throw (
          failure ??
          new Error(
            `${this.spec.command} on port ${this.port} did not start: ${this.output.trim() || 'no output'}`,
          )
        );
      }
      await sleep(20);
    }
  }

  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** Sends `signal` and waits for the process to exit; SIGKILL after {@link EXIT_TIMEOUT_MS}. */
  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.resume();
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const exitedInTime = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), EXIT_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!exitedInTime) {
      child.kill('SIGKILL');
      await this.exited;
    }
    this.child = undefined;
  }

  pause(): void {
    if (this.child === undefined || this.paused) return;
    this.child.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (this.child === undefined || !this.paused) return;
    this.child.kill('SIGCONT');
    this.paused = false;
  }

  close(): Promise<void> {
    return this.stop();
  }

  async dump(): Promise<RedisEntry[]> {
    return this.withClient(async (client) => {
      const entries: RedisEntry[] = [];
      for (const key of (await client.keys('*')).sort()) {
        const type = await client.type(key);
        const value = type === 'string' ? await client.get(key) : null;
        entries.push({ key, value, ttlMs: await client.pttl(key) });
      }
      return entries;
    });
  }

  command(name: string, ...args: (string | number)[]): Promise<unknown> {
    return this.withClient((client) => client.call(name, ...args));
  }

  /** Runs `use` on a connection of its own, closed (socket and all) before it resolves. */
  private async withClient<T>(use: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis({
      host: '127.0.0.1',
      port: this.port,
      ...(this.spec.password !== undefined ? { password: this.spec.password } : {}),
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      commandTimeout: 2_000,
    });
    client.on('error', () => undefined);
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    try {
      await client.connect();
      return await use(client);
    } finally {
      // Disconnecting an ended client would arm a timer of ioredis's that outlives it.
      if (client.status !== 'end') client.disconnect();
      await ended;
    }
  }
}

/**
 * Whether something on `port` answers PING within a moment: with PONG, or with NOAUTH when it requires a password.
 */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (answered: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), 250);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH'));
    });
    socket.on('error', () => done(false));
  });
}
