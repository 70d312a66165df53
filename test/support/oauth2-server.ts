// A real, independent OAuth2 server for the tests: django-oauth-toolkit (Debian's python3-django-oauth-toolkit) in
// the small Django project under test/oauth2-server/, on a free loopback port. See that project's files for what
// each path answers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from './child-process.js';
import { freeLoopbackPort } from './ports.js';
import { sleep } from './waiting.js';

/** Debian's Python, which has Django and django-oauth-toolkit; `python3` on PATH may be another one. */
const PYTHON = '/usr/bin/python3';
/** `-E`: no PYTHON* variable of the caller's environment; `-s`: no user site-packages; `-B`: no __pycache__. */
const PYTHON_FLAGS = ['-E', '-s', '-B'];

/**
 * The Django project, test/oauth2-server, found by walking up from this file: it also runs compiled, from the bench's
 * output directory (dist-bench/test/support/), where a fixed `../oauth2-server` would land elsewhere.
 */
function findProjectDirectory(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'test', 'oauth2-server');
    if (existsSync(join(candidate, 'manage.py'))) return candidate;
    const parent = dirname(directory);
    if (parent === directory)
      throw new Error('test/oauth2-server/manage.py not found above the tests');
    directory = parent;
  }
}

const PROJECT_DIRECTORY = findProjectDirectory();

/** The token endpoint of django-oauth-toolkit. */
export const OAUTH2_TOKEN_PATH = '/o/token/';
/** RFC 7009 revocation endpoint of django-oauth-toolkit. */
export const OAUTH2_REVOCATION_PATH = '/o/revoke_token/';
/** A protected resource that answers a refused token with 401 and `WWW-Authenticate: Bearer error="invalid_token"`. */
export const OAUTH2_BALANCE_PATH = '/api/v0/payout-account/balance';
/** The same resource on a server that answers a refused token with 403 and the same `WWW-Authenticate`. */
export const OAUTH2_BALANCE_403_PATH = '/refusing-with-403/api/v0/payout-account/balance';
/** A resource that needs a scope no token has: a valid token gets a plain 403 (a permission error). */
export const OAUTH2_ADMIN_PATH = '/api/v0/admin/settings';

/** One request the token endpoint received, as the server's bookkeeping saw it. */
export interface OAuth2TokenRequest {
  /** The form's `grant_type`: `password`, `refresh_token`... */
  readonly grant: string;
  /** The HTTP status answered. */
  readonly status: number;
  /** The OAuth2 `error` of the answer (`invalid_grant`, `invalid_client`...); `null` for a success or a 500 page. */
  readonly error: string | null;
  /** When it was received, in epoch milliseconds. */
  readonly at: number;
}

/** What the server received since it started or since {@link OAuth2Server.resetStats}. */
export interface OAuth2ServerStats {
  /** Every token request, oldest first. */
  readonly tokenRequests: readonly OAuth2TokenRequest[];
  /** Token requests by grant, then by HTTP status (as a string). */
  readonly tokenRequestsByGrant: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Requests to the revocation endpoint, by HTTP status. */
  readonly revocations: Readonly<Record<string, number>>;
  /** Calls to the protected resources, by path, then by HTTP status. */
  readonly resourceCalls: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Every access and refresh token it handed out, oldest first. */
  readonly issuedTokens: readonly string[];
}

/** An answer of the server, as {@link OAuth2Server.tokenRequest} gives it. */
export interface OAuth2Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

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
/** Bound on one request of the helpers to the server. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Starts django-oauth-toolkit on a free loopback port with a database of its own (one user, one confidential
 * application with the password grant, credentials drawn at random), and waits until it answers.
 */
export async function startOAuth2Server(options: OAuth2ServerOptions = {}): Promise<OAuth2Server> {
  const template = templateDatabase(checkPythonPackages());
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

let pythonVersions: string | undefined;

/**
 * Throws a clear error when Debian's Python cannot import Django and django-oauth-toolkit; otherwise returns their
 * versions.
 */
function checkPythonPackages(): string {
  if (pythonVersions !== undefined) return pythonVersions;
  const check = spawnSync(
    PYTHON,
    [
      ...PYTHON_FLAGS,
      '-c',
      'import sys, django, oauth2_provider; print(sys.version, django.get_version(), oauth2_provider.__version__)',
    ],
    { encoding: 'utf8', timeout: STARTUP_TIMEOUT_MS },
  );
  if (check.status !== 0) {
    const reason =
      check.error?.message ?? (check.stderr ?? '').trim().split('\n').at(-1) ?? 'no output';
    throw new Error(
      `${PYTHON} cannot import django-oauth-toolkit (${reason}): install it: ` +
        'apt-get install -y python3-django-oauth-toolkit',
    );
  }
  pythonVersions = check.stdout.trim();
  return pythonVersions;
}

/**
 * A migrated, empty database that servers copy instead of migrating (which costs more than the rest of a start),
 * written by the first server that misses it. Its name holds a digest of the Django project's files and of Python's,
 * Django's and django-oauth-toolkit's versions, so that a change of any of them makes a new one; shared by the test
 * processes of one user, in the temporary directory.
 */
function templateDatabase(versions: string): string {
  const digest = createHash('sha256').update(versions);
  for (const file of pythonFiles(PROJECT_DIRECTORY).sort()) {
    digest.update(file.slice(PROJECT_DIRECTORY.length)).update(readFileSync(file));
  }
  const uid = process.getuid?.() ?? 0;
  return join(
    tmpdir(),
    `nestjs-enkash-auth-oauth2-server-${uid}-${digest.digest('hex').slice(0, 16)}.sqlite3`,
  );
}

function pythonFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return pythonFiles(path);
    return entry.isFile() && entry.name.endsWith('.py') ? [path] : [];
  });
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

  constructor(
    readonly port: number,
    readonly accessTokenSeconds: number,
    private readonly template: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
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
    while (!(await this.answers())) {
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

  async stats(): Promise<OAuth2ServerStats> {
    const answer = await this.send('GET', '/test/stats');
    if (answer.status !== 200) throw new Error(`GET /test/stats answered ${answer.status}`);
    return JSON.parse(answer.body) as OAuth2ServerStats;
  }

  async resetStats(): Promise<void> {
    const answer = await this.send('POST', '/test/reset');
    if (answer.status !== 200) throw new Error(`POST /test/reset answered ${answer.status}`);
  }

  async revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void> {
    const form: Record<string, string> = { token };
    if (hint !== undefined) form.token_type_hint = hint;
    const answer = await this.send('POST', OAUTH2_REVOCATION_PATH, this.formHeaders(), form);
    if (answer.status !== 200) {
      throw new Error(`The revocation endpoint answered ${answer.status}: ${answer.body}`);
    }
  }

  tokenRequest(
    form: Record<string, string>,
    clientSecret = this.clientSecret,
  ): Promise<OAuth2Answer> {
    return this.send('POST', OAUTH2_TOKEN_PATH, this.formHeaders(clientSecret), form);
  }

  private formHeaders(clientSecret = this.clientSecret): Record<string, string> {
    const basic = Buffer.from(`${this.clientId}:${clientSecret}`).toString('base64');
    return {
      Authorization: `Basic ${basic}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    };
  }

  /** Whether the server answers its bookkeeping endpoint within a moment. */
  private async answers(): Promise<boolean> {
    try {
      return (await this.send('GET', '/test/stats', {}, undefined, 250)).status === 200;
    } catch {
      return false;
    }
  }

  /** One request on a connection of its own (nothing kept alive after it), bounded by `timeoutMs`. */
  private send(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> = {},
    form?: Record<string, string>,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<OAuth2Answer> {
    const body = form === undefined ? undefined : new URLSearchParams(form).toString();
    return new Promise((resolve, reject) => {
      const outgoing = request(
        `${this.url}${path}`,
        {
          method,
          agent: false,
          timeout: timeoutMs,
          headers: {
            ...headers,
            ...(body === undefined ? {} : { 'Content-Length': Buffer.byteLength(body) }),
          },
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () =>
            resolve({
              status: incoming.statusCode ?? 0,
              headers: incoming.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      outgoing.on('timeout', () =>
        outgoing.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)),
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

/** How many token requests of `grant` the server received, of any status or of `status`. */
export function tokenRequestsOf(
  stats: OAuth2ServerStats,
  grant: 'password' | 'refresh_token',
  status?: number,
): number {
  return stats.tokenRequests.filter(
    (entry) => entry.grant === grant && (status === undefined || entry.status === status),
  ).length;
}
