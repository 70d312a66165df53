import { AxiosError, CanceledError, getAdapter, isAxiosError } from 'axios';
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import { tokenWaitTimedOut } from '../enkash-auth.messages.js';
import type { EnkashOrigin } from './request-target.js';

/** What the transport needs from its surroundings. */
export interface EnkashTransportDependencies {
  auth: Pick<EnkashAuthService, 'getAccessToken' | 'getCachedAccessToken' | 'invalidate'>;
  /** Which requests go to EnKash and get the token. */
  enkashOrigin: EnkashOrigin;
}

/** What the transport remembers of a call for the error that may leave the service. */
export interface CallRecord {
  /** Every token the call was sent with: masked in what EnKash answered. */
  tokens: string[];
  /** Whether the call was sent a second time after a 401. */
  retriedAfterUnauthorized: boolean;
}

const DEFAULT_ADAPTERS = ['xhr', 'http', 'fetch'];

type RedirectOptions = { href?: string; headers?: Record<string, unknown> };
type RedirectHook = (options: RedirectOptions, ...details: unknown[]) => void;

function originOf(url: string | undefined): string | undefined {
  try {
    return url === undefined ? undefined : new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** A body that was a stream has been consumed by the first attempt: it cannot be sent again. */
function canBeSentAgain(config: InternalAxiosRequestConfig): boolean {
  const data: unknown = config.data;
  return !(
    data !== null &&
    typeof data === 'object' &&
    typeof (data as { pipe?: unknown }).pipe === 'function'
  );
}

/** The body of an answer we discard: a stream is destroyed, so that its socket is freed. */
function discard(data: unknown): void {
  if (data !== null && typeof data === 'object') {
    (data as { destroy?: () => void }).destroy?.();
  }
}

/** The URL the answer came from, after redirects (follow-redirects records it on the response). */
function answeredFrom(response: AxiosResponse | undefined): string | undefined {
  const request = response?.request as { res?: { responseUrl?: unknown } } | undefined;
  const url = request?.res?.responseUrl;
  return typeof url === 'string' ? url : undefined;
}

/**
 * Sends calls through `EnkashHttpService`'s axios instance, wrapping whatever adapter the call would use. It works at
 * dispatch time, after every request interceptor and on the final URL, so that:
 * - `Authorization: Bearer <token>` goes to EnKash's origin only, and is dropped on a redirect to another origin;
 * - a 401 from EnKash is answered by sending the same call once more with the current token, below the interceptors:
 *   the application's own request and response interceptors run once per call, as with any axios call;
 * - every call can be aborted at shutdown, and a call waiting for a token honours its signal and timeout.
 */
export class EnkashTransport {
  private readonly inFlight = new Set<AbortController>();
  private readonly records = new WeakMap<InternalAxiosRequestConfig, CallRecord>();
  private readonly wrapped = new WeakSet<AxiosAdapter>();
  private readonly byNames = new Map<string, AxiosAdapter>();
  private closed = false;

  constructor(private readonly deps: EnkashTransportDependencies) {}

  /** The adapter to use for `config`: its own one, wrapped. */
  adapterFor(config: InternalAxiosRequestConfig): AxiosAdapter {
    const adapter = config.adapter ?? DEFAULT_ADAPTERS;
    if (typeof adapter === 'function') {
      if (this.wrapped.has(adapter)) return adapter;
      return this.wrap(getAdapter(adapter, config));
    }
    // axios hands each call its own copy of the adapter list: cache by the names it holds.
    const names = Array.isArray(adapter) ? adapter.join() : String(adapter);
    let send = this.byNames.get(names);
    if (send === undefined) {
      send = this.wrap(getAdapter(adapter, config));
      this.byNames.set(names, send);
    }
    return send;
  }

  private wrap(inner: AxiosAdapter): AxiosAdapter {
    const send: AxiosAdapter = (dispatched) => this.send(dispatched, inner);
    this.wrapped.add(send);
    return send;
  }

  /** What was recorded of the call `config` belongs to (set once it reached the transport). */
  recordOf(config: InternalAxiosRequestConfig | undefined): CallRecord | undefined {
    return config === undefined ? undefined : this.records.get(config);
  }

  /** Aborts every call under way; later calls fail at once without being sent. */
  close(): void {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
  }

  private async send(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
  ): Promise<AxiosResponse> {
    if (this.closed) throw new CanceledError(undefined, undefined, config);
    const controller = this.trackAbort(config);
    try {
      if (!this.deps.enkashOrigin.matches(config)) return await inner(config);
      const record: CallRecord = { tokens: [], retriedAfterUnauthorized: false };
      this.records.set(config, record);
      this.keepTokenOnRedirect(config);
      const cached = this.deps.auth.getCachedAccessToken();
      // With a cached token nothing is awaited before the request is handed to the adapter.
      const token = cached ?? (await this.waitForToken(config, controller.signal));
      return await this.attempt(config, inner, token, record);
    } finally {
      this.inFlight.delete(controller);
    }
  }

  private async attempt(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
    token: string,
    record: CallRecord,
  ): Promise<AxiosResponse> {
    record.tokens.push(token);
    config.headers.set('Authorization', `Bearer ${token}`);
    let answer: AxiosResponse;
    try {
      answer = await inner(config);
    } catch (error) {
      if (!isAxiosError(error) || error.response?.status !== 401) throw error;
      return this.afterUnauthorized(config, inner, token, record, error.response, error);
    }
    // A call whose validateStatus accepts 401 still gets the recovery: the 401 is about our token, not its data.
    if (answer.status !== 401) return answer;
    return this.afterUnauthorized(config, inner, token, record, answer, answer);
  }

  /** EnKash refused `token`: tell the engine, then send the call once more with the current token. */
  private async afterUnauthorized(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
    token: string,
    record: CallRecord,
    answer: AxiosResponse,
    outcome: AxiosResponse | AxiosError,
  ): Promise<AxiosResponse> {
    const giveBack = (): AxiosResponse => {
      if (outcome instanceof Error) throw outcome;
      return outcome;
    };
    // A 401 from the host a redirect led to is not EnKash's verdict on the token.
    const finalOrigin = originOf(answeredFrom(answer));
    if (finalOrigin !== undefined && !this.deps.enkashOrigin.matchesUrl(finalOrigin)) {
      return giveBack();
    }
    if (record.retriedAfterUnauthorized) return giveBack();
    // Acts only if `token` is still the held one: 50 concurrent 401s cause one token request.
    this.deps.auth.invalidate(token);
    if (!canBeSentAgain(config)) return giveBack();
    discard(answer.data);
    const current = await this.waitForToken(config, config.signal as AbortSignal);
    record.retriedAfterUnauthorized = true;
    return this.attempt(config, inner, current, record);
  }

  /**
   * Ties the call to shutdown with a controller of its own (one long-lived signal shared by every call would collect
   * a listener per call), following the caller's signal if it has one.
   */
  private trackAbort(config: InternalAxiosRequestConfig): AbortController {
    const controller = new AbortController();
    const callerSignal = config.signal;
    if (callerSignal !== undefined) {
      if (callerSignal.aborted) controller.abort();
      else {
        const forward = (): void => controller.abort();
        callerSignal.addEventListener?.('abort', forward, { once: true });
        controller.signal.addEventListener(
          'abort',
          () => callerSignal.removeEventListener?.('abort', forward),
          { once: true },
        );
      }
    }
    config.signal = controller.signal;
    this.inFlight.add(controller);
    return controller;
  }

  /** The token from the engine, but no longer than the call's own timeout and signal allow. */
  private waitForToken(config: InternalAxiosRequestConfig, signal: AbortSignal): Promise<string> {
    const token = this.deps.auth.getAccessToken();
    const timeoutMs = config.timeout ?? 0;
    return new Promise<string>((resolve, reject) => {
      const cleanUp = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        cleanUp();
        reject(new CanceledError(undefined, undefined, config));
      };
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              cleanUp();
              reject(new AxiosError(tokenWaitTimedOut(timeoutMs), 'ECONNABORTED', config));
            }, timeoutMs)
          : undefined;
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      token.then(
        (value) => {
          cleanUp();
          resolve(value);
        },
        (error: unknown) => {
          cleanUp();
          reject(error);
        },
      );
    });
  }

  /** Drops the token from a redirect to another origin, before any hook of the caller's runs. */
  private keepTokenOnRedirect(config: InternalAxiosRequestConfig): void {
    const callersHook = (config as { beforeRedirect?: RedirectHook }).beforeRedirect;
    const hook: RedirectHook = (options, ...details) => {
      if (!this.deps.enkashOrigin.matchesUrl(originOf(options.href))) {
        for (const name of Object.keys(options.headers ?? {})) {
          if (name.toLowerCase() === 'authorization') delete options.headers?.[name];
        }
      }
      callersHook?.(options, ...details);
    };
    (config as { beforeRedirect?: RedirectHook }).beforeRedirect = hook;
  }
}
