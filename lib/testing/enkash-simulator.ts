import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { answerWithCommonFault, answerWithFault, FaultQueue } from './simulator-faults.js';
import { mediaType, parseBearer, parseForm, readBody, sendOAuthError } from './simulator-http.js';
import { readResourceBody, sendEnvelope } from './simulator-envelope.js';
import {
  checkBoolean,
  checkString,
  checkTokenLifetime,
  resolveSimulatorOptions,
  type ResolvedSimulatorOptions,
} from './simulator-options.js';
import { simulatorEnvironment } from './simulator-environment.js';
import { answerResourceRequest, envelopeStyle, sendInvalidToken } from './simulator-resource.js';
import {
  AccountLock,
  answerTokenRequest,
  recordFailedLogin,
  type TokenEndpointState,
} from './simulator-token-endpoint.js';
import { SimulatorTokenStore } from './simulator-token-store.js';
import type {
  EnkashSimulator,
  EnkashSimulatorFault,
  EnkashSimulatorFaultOptions,
  EnkashSimulatorOptions,
  EnkashSimulatorResourceFault,
  EnkashSimulatorResourceFaultOptions,
  EnkashSimulatorResourceRequest,
  EnkashSimulatorStats,
  EnkashSimulatorTokenRequest,
} from './simulator.interfaces.js';

const GRANT_TYPES: readonly string[] = ['password', 'refresh_token'];

/** Fault kinds a resource path understands: those it answers like the token endpoint does, and its own. */
const RESOURCE_KINDS = {
  'server-error': true,
  'bad-gateway-html': true,
  'rate-limited': true,
  hang: true,
  'connection-reset': true,
  'malformed-json': true,
  status: true,
  delay: true,
  'invalid-token': true,
  envelope: true,
} as const satisfies Record<EnkashSimulatorResourceFault['kind'], true>;

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';
const CREDENTIAL_KEYS = ['clientId', 'clientSecret', 'username', 'password'] as const;

/** A pending `delay` fault, released early by `close()`. */
interface PendingDelay {
  timer: NodeJS.Timeout;
  resolve: () => void;
}

function zeroStats(stats: EnkashSimulatorStats): EnkashSimulatorStats {
  stats.tokenRequests = stats.passwordGrants = stats.refreshGrants = stats.tokensIssued = 0;
  stats.failedLogins = stats.resourceRequests = stats.resourceUnauthorized = 0;
  return stats;
}

class EnkashSimulatorServer implements EnkashSimulator, TokenEndpointState {
  readonly stats: EnkashSimulatorStats = zeroStats({} as EnkashSimulatorStats);
  readonly tokens = new SimulatorTokenStore();
  readonly account = new AccountLock();
  readonly answeredTokens = new Set<string>();
  private readonly log: EnkashSimulatorTokenRequest[] = [];
  private readonly resourceLog: EnkashSimulatorResourceRequest[] = [];
  private readonly faults = new FaultQueue<EnkashSimulatorFault>();
  private readonly resourceFaults = new FaultQueue<EnkashSimulatorResourceFault>();
  private readonly sockets = new Set<Socket>();
  private readonly delays = new Set<PendingDelay>();
  private readonly server: Server;
  private closing: Promise<void> | undefined;
  private listeningPort = 0;

  constructor(readonly options: ResolvedSimulatorOptions) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        sendOAuthError(res, 500, 'server_error', `Simulator failure: ${String(error)}`);
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  get port(): number {
    return this.listeningPort;
  }

  get tokenRequests(): readonly EnkashSimulatorTokenRequest[] {
    return this.log;
  }

  get resourceCalls(): readonly EnkashSimulatorResourceRequest[] {
    return this.resourceLog;
  }

  get issuedTokens(): readonly string[] {
    return [...this.answeredTokens];
  }

  get currentAccessToken(): string | undefined {
    return this.tokens.currentAccess(Date.now())?.value;
  }

  environment(registrationName?: string): Readonly<Record<string, string>> {
    return simulatorEnvironment(this.url, this.options, registrationName);
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        this.listeningPort = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  }

  setTokenLifetime(seconds: number): void {
    checkTokenLifetime(seconds);
    this.options.tokenLifetimeSeconds = seconds;
  }

  injectFault(fault: EnkashSimulatorFault, options: EnkashSimulatorFaultOptions = {}): void {
    if (options.grant !== undefined && !GRANT_TYPES.includes(options.grant)) {
      throw new RangeError(`grant must be 'password' or 'refresh_token', got ${options.grant}`);
    }
    this.faults.add(fault, options.times, options.grant);
  }

  injectResourceFault(
    fault: EnkashSimulatorResourceFault,
    options: EnkashSimulatorResourceFaultOptions = {},
  ): void {
    if (options.path !== undefined && !options.path.startsWith('/')) {
      throw new RangeError(`path must start with "/", got ${options.path}`);
    }
    if (Object.hasOwn(RESOURCE_KINDS, fault.kind)) {
      this.resourceFaults.add(fault, options.times, options.path);
      return;
    }
    throw new RangeError(`'${(fault as { kind: string }).kind}' is not a resource fault`);
  }

  clearFaults(): void {
    this.faults.clear();
    this.resourceFaults.clear();
  }

  revokeAccessToken(): void {
    this.tokens.revokeAccess();
  }

  expireAccessToken(): void {
    this.tokens.expireAccess(Date.now());
  }

  setCredentials(
    update: Partial<Pick<EnkashSimulatorOptions, (typeof CREDENTIAL_KEYS)[number]>>,
  ): void {
    for (const key of CREDENTIAL_KEYS) {
      if (update[key] !== undefined) checkString(key, update[key]);
    }
    for (const key of CREDENTIAL_KEYS) {
      const value = update[key];
      if (value !== undefined) this.options[key] = value;
    }
  }

  setRequireEncryptedPayloads(on: boolean): void {
    checkBoolean('requireEncryptedPayloads', on);
    this.options.requireEncryptedPayloads = on;
  }

  unlockAccount(): void {
    this.account.reset();
  }

  resetStats(): void {
    zeroStats(this.stats);
    this.log.length = 0;
    this.resourceLog.length = 0;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const delay of this.delays) {
        clearTimeout(delay.timer);
        delay.resolve();
      }
      this.delays.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (this.closing) return;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === this.options.tokenPath) await this.handleTokenRequest(req, res, body);
    else await this.handleResourceRequest(req, res, url, body);
  }

  /** Logs and counts a resource request, applies the first matching fault, else answers normally. */
  private async handleResourceRequest(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    text: string,
  ): Promise<void> {
    const { method = 'GET', headers } = req;
    const body = readResourceBody(text, this.options.clientSecret);
    this.resourceLog.push({
      method,
      path: url.pathname,
      authorization: headers.authorization,
      headers: { ...headers },
      body: body.json,
      encrypted: body.encrypted,
      receivedAt: Date.now(),
    });
    this.stats.resourceRequests += 1;
    const fault = this.resourceFaults.take(url.pathname);
    if (fault?.kind === 'delay') {
      await this.sleep(fault.ms);
      if (this.closing) return;
    } else if (fault?.kind === 'invalid-token') {
      this.stats.resourceUnauthorized += 1;
      return sendInvalidToken(res, parseBearer(headers.authorization) ?? '', 'invalid');
    } else if (fault?.kind === 'envelope') {
      const { responseCode: code, responseMessage: message, payload } = fault;
      return sendEnvelope(res, { code, message, payload }, envelopeStyle(this.options, body));
    } else if (fault) {
      if (fault.kind === 'status' && fault.status === 401) this.stats.resourceUnauthorized += 1;
      return answerWithCommonFault(res, fault);
    }
    answerResourceRequest(this, { req, res, url, body });
  }

  /** Logs and counts a token request, applies the first matching fault, else answers normally. */
  private async handleTokenRequest(
    req: IncomingMessage,
    res: ServerResponse,
    body: string,
  ): Promise<void> {
    const contentType = req.headers['content-type'];
    const isForm = mediaType(contentType) === FORM_MEDIA_TYPE;
    const form = isForm ? parseForm(body) : {};
    const grantType = form['grant_type'] ?? '';
    const authorization = req.headers.authorization;
    this.log.push({ grantType, authorization, contentType, form, receivedAt: Date.now() });
    this.stats.tokenRequests += 1;
    if (grantType === 'password') this.stats.passwordGrants += 1;
    if (grantType === 'refresh_token') this.stats.refreshGrants += 1;

    const fault = this.faults.take(grantType);
    if (fault?.kind === 'delay') {
      await this.sleep(fault.ms);
      if (this.closing) return;
    } else if (fault) {
      if (fault.kind === 'bad-credentials' && grantType === 'password') recordFailedLogin(this);
      const { responseCase, tokenLifetimeSeconds } = this.options;
      answerWithFault(res, fault, { form, responseCase, tokenLifetimeSeconds });
      return;
    }
    answerTokenRequest(this, { req, res, form, isForm, grantType });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const delay: PendingDelay = {
        timer: setTimeout(() => {
          this.delays.delete(delay);
          resolve();
        }, ms),
        resolve,
      };
      this.delays.add(delay);
    });
  }
}

/**
 * Starts an EnKash token-server simulator: a real `node:http` server on 127.0.0.1 that behaves
 * like EnKash's Spring Security OAuth2 token endpoint, with a protected resource on every other
 * path. Close it with `close()` when done.
 */
export async function startEnkashSimulator(
  options: EnkashSimulatorOptions = {},
): Promise<EnkashSimulator> {
  const simulator = new EnkashSimulatorServer(resolveSimulatorOptions(options));
  await simulator.listen(options.port ?? 0);
  return simulator;
}
