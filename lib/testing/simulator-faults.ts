import type { ServerResponse } from 'node:http';
import { NO_STORE_HEADERS, send, sendJson, sendOAuthError } from './simulator-http.js';
import type {
  EnkashSimulatorCommonFault,
  EnkashSimulatorFault,
  EnkashSimulatorResourceFault,
} from './simulator.interfaces.js';

/** A queued fault with the number of requests it still applies to. */
interface QueuedFault<Fault> {
  readonly fault: Fault;
  /** The grant type (token faults) or path (resource faults) it is limited to. */
  readonly only: string | undefined;
  remaining: number;
}

/** The page a proxy (nginx) in front of EnKash answers with when EnKash is down. */
const BAD_GATEWAY_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n' +
  '<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/**
 * FIFO queue of injected faults; a request takes the first fault whose filter matches (the grant type for token
 * requests, the path for resource requests).
 */
export class FaultQueue<Fault extends { kind: string }> {
  private readonly queue: QueuedFault<Fault>[] = [];

  /** Validates and appends a fault. */
  add(fault: Fault, times = 1, only?: string): void {
    validateFault(fault);
    if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) {
      throw new RangeError(`times must be a positive integer or Infinity, got ${times}`);
    }
    this.queue.push({ fault, only, remaining: times });
  }

  /** Removes every fault. */
  clear(): void {
    this.queue.length = 0;
  }

  /** The fault that applies to a request with this grant type or path, if any (using one of its `times`). */
  take(key: string): Fault | undefined {
    const index = this.queue.findIndex((q) => q.only === undefined || q.only === key);
    if (index < 0) return undefined;
    const entry = this.queue[index];
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.queue.splice(index, 1);
    return entry.fault;
  }
}

/** Throws a `RangeError` when a fault's numbers make no sense. */
export function validateFault(candidate: { kind: string }): void {
  const fault = candidate as EnkashSimulatorFault | EnkashSimulatorResourceFault;
  const bad = (what: string): never => {
    throw new RangeError(`Invalid '${fault.kind}' fault: ${what}`);
  };
  switch (fault.kind) {
    case 'rate-limited':
      if (!Number.isFinite(fault.retryAfterSeconds) || fault.retryAfterSeconds < 0) {
        bad('retryAfterSeconds must be a finite number >= 0');
      }
      break;
    case 'status':
      if (!Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599) {
        bad('status must be an integer from 200 to 599');
      }
      break;
    case 'delay':
      if (!Number.isFinite(fault.ms) || fault.ms < 0) bad('ms must be a finite number >= 0');
      break;
    case 'envelope':
      if (!Number.isInteger(fault.responseCode)) bad('responseCode must be an integer');
      if (typeof fault.responseMessage !== 'string') bad('responseMessage must be a string');
      break;
    default:
      break;
  }
}

/** Answers a resource request with a fault that token and resource requests share. */
export function answerWithCommonFault(
  res: ServerResponse,
  fault: EnkashSimulatorCommonFault,
): void {
  return answerWithFault(res, fault, { form: {}, responseCase: 'snake', tokenLifetimeSeconds: 0 });
}

/** What a fault answer needs to know about the request and the simulator. */
export interface FaultContext {
  /** The decoded form of the token request. */
  form: Record<string, string>;
  /** Key style of token answers. */
  responseCase: 'snake' | 'camel';
  /** Current access token lifetime, for `expires_in` in a `no-access-token` answer. */
  tokenLifetimeSeconds: number;
}

/**
 * Answers a token request with a fault. `delay` is not handled here (the caller waits, then
 * answers normally), nor the failed-login bookkeeping of `bad-credentials`.
 */
export function answerWithFault(
  res: ServerResponse,
  fault: Exclude<EnkashSimulatorFault, { kind: 'delay' }>,
  ctx: FaultContext,
): void {
  switch (fault.kind) {
    case 'server-error':
      return sendOAuthError(res, 500, 'server_error', 'Internal Server Error', NO_STORE_HEADERS);
    case 'bad-gateway-html':
      return send(res, 502, BAD_GATEWAY_HTML, { 'Content-Type': 'text/html' });
    case 'rate-limited':
      return sendOAuthError(res, 429, 'too_many_requests', 'Too many requests', {
        ...NO_STORE_HEADERS,
        'Retry-After': String(Math.ceil(fault.retryAfterSeconds)),
      });
    case 'hang':
      return; // never answer; close() destroys the socket
    case 'connection-reset':
      res.socket?.resetAndDestroy();
      return;
    case 'malformed-json':
      return send(res, 200, '{"access_token":"', {
        'Content-Type': 'application/json;charset=UTF-8',
        ...NO_STORE_HEADERS,
      });
    case 'no-access-token': {
      const expiresIn = Math.floor(ctx.tokenLifetimeSeconds);
      const body =
        ctx.responseCase === 'camel'
          ? { tokenType: 'bearer', expiresIn, scope: 'read write trust' }
          : { token_type: 'bearer', expires_in: expiresIn, scope: 'read write trust' };
      return sendJson(res, 200, body, NO_STORE_HEADERS);
    }
    case 'bad-credentials':
      return sendOAuthError(res, 400, 'invalid_grant', 'Bad credentials', NO_STORE_HEADERS);
    case 'invalid-refresh-token': {
      const sent = ctx.form['refresh_token'] ?? '';
      const description = `Invalid refresh token: ${sent}`;
      return sendOAuthError(res, 400, 'invalid_grant', description, NO_STORE_HEADERS);
    }
    case 'status':
      return send(res, fault.status, fault.body ?? '', fault.headers ?? {});
  }
}
