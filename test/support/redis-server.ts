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
  /** Stops the server (SIGTERM) and waits for it to exit: connections are refused until {@link start}. */
  stop(): Promise<void>;
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

/** Starts a `redis-server` without persistence on a free loopback port, and waits until it answers PING. */
export async function startRedisServer(): Promise<RedisServer> {
  const server = new RedisServerProcess(await freeLoopbackPort());
  await server.start();
  return server;
}

class RedisServerProcess implements RedisServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private paused = false;
  private output = '';

  constructor(readonly port: number) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error('This redis-server is already running');
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
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
                'redis-server is not installed: install it: apt-get install -y redis-server',
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
            `redis-server on port ${this.port} did not start: ${this.output.trim() || 'no output'}`,
          )
        );
      }
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.resume();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
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

/** Whether something on `port` answers PING with PONG within a moment. */
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
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}
