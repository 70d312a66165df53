// A real, independent OAuth2 server for the tests: django-oauth-toolkit (Debian's python3-django-oauth-toolkit) in
// the small Django project under test/oauth2-server/, on a free loopback port. See that project's files for what
// each path answers. This file starts, stops and closes it; how it is run (oauth2-server-django.ts), the HTTP client
// of its token and revocation endpoints (oauth2-server-client.ts) and its bookkeeping (oauth2-server-stats.ts) live
// beside it, and what tests use of them is re-exported here.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './child-process.js';
import {
  checkPythonPackages,
  PROJECT_DIRECTORY,
  PYTHON,
  PYTHON_FLAGS,
  templateDatabase,
} from './oauth2-server-django.js';
import {
  OAUTH2_TOKEN_PATH,
  OAuth2ServerClient,
  type OAuth2Answer,
} from './oauth2-server-client.js';
import {
  oauth2ServerStatsAnswer,
  readOAuth2ServerStats,
  resetOAuth2ServerStats,
  type OAuth2ServerStats,
} from './oauth2-server-stats.js';
import { freeLoopbackPort } from './ports.js';
import { sleep } from './waiting.js';

export {
  OAUTH2_REVOCATION_PATH,
  OAUTH2_TOKEN_PATH,
  type OAuth2Answer,
} from './oauth2-server-client.js';
export {
  tokenRequestsOf,
  type OAuth2ServerStats,
  type OAuth2TokenRequest,
} from './oauth2-server-stats.js';

/** A protected resource that answers a refused token with 401 and `WWW-Authenticate: Bearer error="invalid_token"`. */
export const OAUTH2_BALANCE_PATH = '/api/v0/payout-account/balance';
/** The same resource on a server that answers a refused token with 403 and the same `WWW-Authenticate`. */
export const OAUTH2_BALANCE_403_PATH = '/refusing-with-403/api/v0/payout-account/balance';
/** A resource that needs a scope no token has: a valid token gets a plain 403 (a permission error). */
export const OAUTH2_ADMIN_PATH = '/api/v0/admin/settings';

/** A django-oauth-toolkit server of one test on a loopback port, which tests can stop and start again. */
export interface OAuth2Server {
  /** `http://127.0.0.1:<port>`: the `baseUrl` of an app that talks to it. */
  readonly url: string;
  readonly port: number;
  /** {@link OAUTH2_TOKEN_PATH}: the `tokenPath` of an app that talks to it. */
  readonly tokenPath: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly username: string;
  readonly password: string;
  /** The lifetime of its access tokens (`expires_in`), in seconds. */
  readonly accessTokenSeconds: number;
  /** Whether it was started and not stopped since. */
  readonly running: boolean;
  /** What it received, read from its test-only bookkeeping endpoint. */
  stats(): Promise<OAuth2ServerStats>;
  /** Forgets what it received. */
  resetStats(): Promise<void>;
  /**
   * Revokes an access or a refresh token through its real revocation endpoint (RFC 7009), authenticated as the
   * client; throws unless it answers 200. Revoking a refresh token revokes its access token too.
   */
  revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void>;
  /** Posts `form` to the token endpoint with the client's HTTP Basic credentials (or `clientSecret`'s). */
  tokenRequest(form: Record<string, string>, clientSecret?: string): Promise<OAuth2Answer>;
  /** Stops the server (SIGTERM) and waits for it to exit: connections are refused until {@link start}. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the same database (its tokens are still valid), and waits until it answers. */
  start(): Promise<void>;
  /** Stops it and deletes its database. Idempotent: for afterEach and afterAll. */
  close(): Promise<void>;
}

/** Options of {@link startOAuth2Server}. */
export interface OAuth2ServerOptions {
  /** The access tokens' lifetime, in whole seconds (DOT's `ACCESS_TOKEN_EXPIRE_SECONDS`). Default: 36000. */
  accessTokenSeconds?: number;
}

/** How long the server may take to start answering (Python and Django's imports on a loaded machine), or to exit. */
const STARTUP_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 5_000;
/** Bound on each look, while it starts, at whether it answers yet. */
const STARTUP_PROBE_TIMEOUT_MS = 250;

/**
 * Starts django-oauth-toolkit on a free loopback port with a database of its own (one user, one confidential
 * application with the password grant, credentials drawn at random), and waits until it answers.
 */
export async function startOAuth2Server(options: OAuth2ServerOptions = {}): Promise<OAuth2Server> {
  const template = templateDatabase(checkPythonPackages(STARTUP_TIMEOUT_MS));
  const server = new OAuth2ServerProcess(
    await freeLoopbackPort(),
    options.accessTokenSeconds ?? 36_000,
    template,
  );
  try {
    await server.start();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

class OAuth2ServerProcess implements OAuth2Server {
  readonly url: string;
  readonly tokenPath = OAUTH2_TOKEN_PATH;
  readonly clientId = `nestjs-enkash-auth-${randomBytes(4).toString('hex')}`;
  // django-oauth-toolkit URL-decodes the Basic credentials (RFC 6749, 2.3.1): a secret without characters that
  // decoding would change.
  readonly clientSecret = randomBytes(24).toString('hex');
  readonly username = `payouts-${randomBytes(4).toString('hex')}@example.com`;
  // Characters that form encoding must carry: the server sees the password only if the client encoded it right.
  readonly password = `pw ${randomBytes(9).toString('base64')} &=%+`;
  private readonly directory = mkdtempSync(join(tmpdir(), 'oauth2-server-'));
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private closed = false;
  private readonly client: OAuth2ServerClient;

  constructor(
    readonly port: number,
    readonly accessTokenSeconds: number,
    private readonly template: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.client = new OAuth2ServerClient(this.url, this.clientId, this.clientSecret);
  }

  async start(): Promise<void> {
    if (this.closed) throw new Error('This OAuth2 server is closed');
    if (this.child !== undefined) throw new Error('This OAuth2 server is already running');
    const debug = (process.env.OAUTH2_SERVER_DEBUG ?? '') !== '';
    const child = spawn(
      PYTHON,
      [...PYTHON_FLAGS, 'manage.py', 'serve_oauth2', '--port', String(this.port)],
      {
        cwd: PROJECT_DIRECTORY,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          LANG: 'C.UTF-8',
          DJANGO_SETTINGS_MODULE: 'oauth2_test_server.settings',
          OAUTH2_SERVER_DB: join(this.directory, 'db.sqlite3'),
          OAUTH2_SERVER_TEMPLATE_DB: this.template,
          OAUTH2_SERVER_ACCESS_TOKEN_SECONDS: String(this.accessTokenSeconds),
          OAUTH2_SERVER_CLIENT_ID: this.clientId,
          OAUTH2_SERVER_CLIENT_SECRET: this.clientSecret,
          OAUTH2_SERVER_USERNAME: this.username,
          OAUTH2_SERVER_PASSWORD: this.password,
          OAUTH2_SERVER_DEBUG: debug ? '1' : '',
        },
      },
    );
    this.child = child;
    this.output = '';
    const keepOutput = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-4_000);
      if (debug) process.stderr.write(`[oauth2-server :${this.port}] ${chunk.toString()}`);
    };
    child.stdout?.on('data', keepOutput);
    child.stderr?.on('data', keepOutput);
    let failure: Error | undefined;
    let running = true;
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        failure = error;
        running = false;
        resolve();
      });
      child.once('exit', () => {
        running = false;
        resolve();
      });
    });
    const deadline = performance.now() + STARTUP_TIMEOUT_MS;
    while (!(await oauth2ServerStatsAnswer(this.url, STARTUP_PROBE_TIMEOUT_MS))) {
      if (!running || performance.now() >= deadline) {
        const what = running
          ? `did not answer within ${STARTUP_TIMEOUT_MS} ms`
          : `exited with ${child.exitCode ?? child.signalCode} before answering`;
        await this.stop();
        throw (
          failure ??
          new Error(
            `The OAuth2 server on port ${this.port} ${what}: ${this.output.trim() || 'no output'}`,
          )
        );
      }
      await sleep(20);
    }
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    await stopChild(child, this.exited, EXIT_TIMEOUT_MS);
    this.child = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.stop();
    } finally {
      rmSync(this.directory, { recursive: true, force: true });
    }
  }

  stats(): Promise<OAuth2ServerStats> {
    return readOAuth2ServerStats(this.url);
  }

  resetStats(): Promise<void> {
    return resetOAuth2ServerStats(this.url);
  }

  revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void> {
    return this.client.revoke(token, hint);
  }

  tokenRequest(form: Record<string, string>, clientSecret?: string): Promise<OAuth2Answer> {
    return this.client.tokenRequest(form, clientSecret);
  }
}
