import { AxiosError, CanceledError, getAdapter, isAxiosError } from 'axios';
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import { tokenWaitTimedOut } from '../enkash-auth.messages.js';
import type { EnkashOrigin } from './request-target.js';
import { ShutdownSignal } from './shutdown-signal.js';
import { isStream } from './streams.js';
import { refusesToken } from './token-refused.js';

/** What the transport needs from its surroundings. */
export interface EnkashTransportDependencies {
  auth: Pick<EnkashAuthService, 'getAccessToken' | 'getCachedAccessToken' | 'invalidate'>;
  /** Which requests go to EnKash and get the token. */
  enkashOrigin: EnkashOrigin;
  /**
   * Readies a call to EnKash (default headers, encryption) once, before its first attempt: decided here, on the URL
   * the call really goes to, like the token. May throw to stop the call before anything is sent.
   */
  prepareEnkashCall?: (config: InternalAxiosRequestConfig) => void;
}

/** What the transport remembers of a call for the error that may leave the service. */
export interface CallRecord {
  /** Every token the call was sent with: masked in what EnKash answered. */
  tokens: string[];
  /** Whether the call was sent a second time after EnKash refused its token (a 401, or a 403 `invalid_token`). */
  retriedAfterUnauthorized: boolean;
  /** The call's own timeout (0: none), which bounds each attempt: the wait for a token and the request. */
  timeoutMs: number;
}

const DEFAULT_ADAPTERS = ['xhr', 'http', 'fetch'];
const HTTP_ADAPTER = getAdapter('http');

type RedirectOptions = { href?: string; headers?: Record<string, unknown> };
type RedirectHook = (options: RedirectOptions, ...details: unknown[]) => void;

/** The URL the answer came from, after redirects (follow-redirects records it on the response). */
function answeredFrom(response: AxiosResponse | undefined): string | undefined {
  const request = response?.request as { res?: { responseUrl?: unknown } } | undefined;
  const url = request?.res?.responseUrl;
  return typeof url === 'string' ? url : undefined;
}

/**
 * Sends calls through `EnkashHttpService`'s axios instance, wrapping whatever adapter the call would use. It works at
 * dispatch time, after every request interceptor and on the final URL, so that:
 * - `Authorization: Bearer <token>` goes to EnKash's origin only, and is dropped on a redirect to another origin; so do
 *   the registration's default headers and the payload encryption;
 * - a 401 from EnKash (or a 403 with `WWW-Authenticate: Bearer error="invalid_token"`) is answered by sending the
 *   same call once more with the current token, below the interceptors:
 *   the application's own request and response interceptors run once per call, as with any axios call;
 * - every call can be aborted at shutdown, and a call waiting for a token honours its signal and timeout.
 */
export class EnkashTransport {
  /**
   * Aborted at shutdown. A call without a signal of its own is sent with this one: axios adds its listener when the
   * request goes out and removes it when the answer is in, so a call costs no controller of its own.
   */
  private readonly shutdown = new ShutdownSignal();
  /** Controllers of calls that came with a signal of their own, joined with shutdown. */
  private readonly linked = new Set<AbortController>();
  private readonly records = new WeakMap<InternalAxiosRequestConfig, CallRecord>();
  private readonly wrapped = new WeakSet<AxiosAdapter>();
  private httpSend: AxiosAdapter | undefined;

  constructor(private readonly deps: EnkashTransportDependencies) {}

  /** The adapter to use for `config`: its own one, wrapped. */
  adapterFor(config: InternalAxiosRequestConfig): AxiosAdapter {
    const adapter = config.adapter ?? DEFAULT_ADAPTERS;
    if (typeof adapter === 'function' && this.wrapped.has(adapter)) return adapter;
    const resolved = getAdapter(adapter, config);
    // axios hands each call its own copy of the default list, which resolves to the same http adapter every time:
    // that one is wrapped once. Anything else (a function, the fetch adapter built per `env`) is wrapped per call.
    if (resolved !== HTTP_ADAPTER) return this.wrap(resolved);
    this.httpSend ??= this.wrap(resolved);
    return this.httpSend;
  }

  /** What was recorded of the call `config` belongs to (set once it reached the transport). */
  recordOf(config: InternalAxiosRequestConfig | undefined): CallRecord | undefined {
    return config === undefined ? undefined : this.records.get(config);
  }

  /** Aborts every call under way; later calls fail at once without being sent. */
  close(): void {
    this.shutdown.abort();
    for (const controller of this.linked) controller.abort();
    this.linked.clear();
  }

  private wrap(inner: AxiosAdapter): AxiosAdapter {
    const send: AxiosAdapter = (dispatched) => this.send(dispatched, inner);
    this.wrapped.add(send);
    return send;
  }

  /**
   * Not `async`, and the common case (a cached token) awaits nothing before the adapter: each promise layer here
   * would be paid by every call.
   */
  private send(config: InternalAxiosRequestConfig, inner: AxiosAdapter): Promise<AxiosResponse> {
    if (this.shutdown.aborted) return Promise.reject(new CanceledError(undefined, config));
    const release = this.bindToShutdown(config);
    let answer: Promise<AxiosResponse>;
    try {
      answer = this.dispatch(config, inner);
    } catch (error) {
      answer = Promise.reject(error);
    }
    if (release === undefined) return answer;
    return answer.then(
      (response) => {
        // A stream answer is still being read: the caller's abort and shutdown must keep reaching it.
        const stream = response.data as { once?: (event: string, listener: () => void) => void };
        if (config.responseType === 'stream' && typeof stream?.once === 'function') {
          stream.once('close', release);
        } else {
          release();
        }
        return response;
      },
      (error: unknown) => {
        release();
        throw error;
      },
    );
  }

  private dispatch(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
  ): Promise<AxiosResponse> {
    if (!this.deps.enkashOrigin.matches(config)) return this.sendOnce(config, inner);
    this.deps.prepareEnkashCall?.(config);
    const record: CallRecord = {
      tokens: [],
      retriedAfterUnauthorized: false,
      timeoutMs: config.timeout ?? 0,
    };
    this.records.set(config, record);
    this.keepTokenOnRedirect(config);
    const cached = this.deps.auth.getCachedAccessToken();
    // With a cached token nothing is awaited before the request is handed to the adapter.
    if (cached !== undefined) return this.attempt(config, inner, record, cached);
    const startedAt = performance.now();
    return this.waitForToken(config, record.timeoutMs).then((token) =>
      this.attempt(config, inner, record, token, startedAt),
    );
  }

  /**
   * Sends the call with `token`. `waitStartedAt`: when the wait for that token began, if there was one; the timeout
   * bounds the attempt, so what the wait took is not given to the request again.
   */
  private attempt(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
    record: CallRecord,
    token: string,
    waitStartedAt?: number,
  ): Promise<AxiosResponse> {
    record.tokens.push(token);
    config.headers.set('Authorization', `Bearer ${token}`);
    if (waitStartedAt !== undefined && record.timeoutMs > 0) {
      const left = record.timeoutMs - (performance.now() - waitStartedAt);
      config.timeout = Math.max(1, Math.ceil(left));
    }
    return this.sendOnce(config, inner).then(
      // A call whose validateStatus accepts 401 still gets the recovery: the 401 is about our token, not its data.
      (answer) =>
        refusesToken(answer)
          ? this.afterUnauthorized(config, inner, record, token, answer, answer)
          : answer,
      (error: unknown) => {
        if (!isAxiosError(error) || !refusesToken(error.response)) throw error;
        return this.afterUnauthorized(config, inner, record, token, error.response, error);
      },
    );
  }

  /** Hands the call to the adapter, unless it was cancelled already. */
  private sendOnce(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
  ): Promise<AxiosResponse> {
    // An adapter handed an already aborted call may still send it: a cancelled payment must never go out.
    if (config.signal?.aborted === true || config.cancelToken?.reason !== undefined) {
      return Promise.reject(new CanceledError(undefined, config));
    }
    return inner(config);
  }

  /** EnKash refused `token`: tell the engine, then send the call once more with the current token. */
  private async afterUnauthorized(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
    record: CallRecord,
    token: string,
    answer: AxiosResponse,
    outcome: AxiosResponse | AxiosError,
  ): Promise<AxiosResponse> {
    const giveBack = (): AxiosResponse => {
      if (outcome instanceof Error) throw outcome;
      return outcome;
    };
    // A 401 from the host a redirect led to is not EnKash's verdict on the token.
    const finalUrl = answeredFrom(answer);
    if (finalUrl !== undefined && !this.deps.enkashOrigin.matchesUrl(finalUrl)) return giveBack();
    if (record.retriedAfterUnauthorized) return giveBack();
    // Acts only if `token` is still the held one: 50 concurrent 401s cause one token request.
    this.deps.auth.invalidate(token);
    // A stream body was consumed by the first attempt: it cannot be sent again.
    if (isStream(config.data)) return giveBack();
    // The refused answer is not read further: a stream answer is destroyed, freeing its socket.
    if (isStream(answer.data)) answer.data.destroy?.();
    const startedAt = performance.now();
    const current = await this.waitForToken(config, record.timeoutMs);
    record.retriedAfterUnauthorized = true;
    return this.attempt(config, inner, record, current, startedAt);
  }

  /**
   * Sets the call's signal so that shutdown aborts it: the shared shutdown signal when the call has none, else a
   * controller of the call's own, aborted by either (one long-lived signal joined to every caller's would collect a
   * listener per call). Returns what undoes the joining, or `undefined` when there is nothing to undo. A cancel token
   * (what `HttpService` uses when an Observable is unsubscribed) is left to axios, which honours it itself.
   */
  private bindToShutdown(config: InternalAxiosRequestConfig): (() => void) | undefined {
    const callerSignal = config.signal;
    // A config sent once already (a caller re-sending `error.config`) still carries the shared signal.
    if (callerSignal === undefined || callerSignal === this.shutdown) {
      config.signal = this.shutdown;
      return undefined;
    }
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    if (callerSignal.aborted === true) controller.abort();
    callerSignal.addEventListener?.('abort', abort, { once: true });
    config.signal = controller.signal;
    this.linked.add(controller);
    return () => {
      callerSignal.removeEventListener?.('abort', abort);
      this.linked.delete(controller);
    };
  }

  /**
   * The token from the engine, but no longer than `timeoutMs` (0: no limit), and no longer than the call's signal
   * (shutdown, the caller's own) and cancel token allow.
   */
  private waitForToken(config: InternalAxiosRequestConfig, timeoutMs: number): Promise<string> {
    const { signal, cancelToken } = config;
    // Asked only for a call still wanted: a token request nobody waits for would fail unhandled.
    if (signal?.aborted === true || cancelToken?.reason !== undefined) {
      return Promise.reject(new CanceledError(undefined, config));
    }
    // The call waits for a token request due within its own timeout (without one, for as long as it takes), and
    // leaves the engine's queue when it gives up: a call that is gone must not bring retries forward.
    const leave = new AbortController();
    const token = this.deps.auth.getAccessToken({
      waitMs: timeoutMs > 0 ? timeoutMs : Number.POSITIVE_INFINITY,
      signal: leave.signal,
    });
    return new Promise<string>((resolve, reject) => {
      const cleanUp = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener?.('abort', onAbort);
        cancelToken?.unsubscribe(onAbort);
      };
      const giveUp = (error: Error): void => {
        cleanUp();
        leave.abort();
        reject(error);
      };
      const onAbort = (): void => giveUp(new CanceledError(undefined, config));
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              const code = config.transitional?.clarifyTimeoutError
                ? AxiosError.ETIMEDOUT
                : AxiosError.ECONNABORTED;
              giveUp(new AxiosError(tokenWaitTimedOut(timeoutMs), code, config));
            }, timeoutMs)
          : undefined;
      signal?.addEventListener?.('abort', onAbort, { once: true });
      cancelToken?.subscribe(onAbort);
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
    if (callersHook === this.dropTokenOffOrigin) return;
    const hook: RedirectHook =
      callersHook === undefined
        ? this.dropTokenOffOrigin
        : (options, ...details) => {
            this.dropTokenOffOrigin(options);
            callersHook(options, ...details);
          };
    (config as { beforeRedirect?: RedirectHook }).beforeRedirect = hook;
  }

  /** The redirect hook itself: one function for every call that brings none of its own. */
  private readonly dropTokenOffOrigin: RedirectHook = (options) => {
    if (this.deps.enkashOrigin.matchesUrl(options.href)) return;
    for (const name of Object.keys(options.headers ?? {})) {
      if (name.toLowerCase() === 'authorization') delete options.headers?.[name];
    }
  };
}
