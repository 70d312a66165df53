import { AxiosError, CanceledError, getAdapter, isAxiosError } from 'axios';
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import { tokenWaitTimedOut } from '../enkash-auth.messages.js';
import type { EnkashOrigin } from './request-target.js';
import { isStream } from './streams.js';

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
const HTTP_ADAPTER = getAdapter('http');

/** How one call can be stopped: by its caller (signal or cancel token) or by shutdown. */
interface CallControl {
  readonly signal: AbortSignal;
  /** The call's timeout (0: none), which bounds each attempt: the wait for a token and the request. */
  readonly timeoutMs: number;
  release(): void;
}

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
 * - `Authorization: Bearer <token>` goes to EnKash's origin only, and is dropped on a redirect to another origin;
 * - a 401 from EnKash is answered by sending the same call once more with the current token, below the interceptors:
 *   the application's own request and response interceptors run once per call, as with any axios call;
 * - every call can be aborted at shutdown, and a call waiting for a token honours its signal and timeout.
 */
export class EnkashTransport {
  private readonly inFlight = new Set<AbortController>();
  private readonly records = new WeakMap<InternalAxiosRequestConfig, CallRecord>();
  private readonly wrapped = new WeakSet<AxiosAdapter>();
  private httpSend: AxiosAdapter | undefined;
  private closed = false;

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
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
  }

  private wrap(inner: AxiosAdapter): AxiosAdapter {
    const send: AxiosAdapter = (dispatched) => this.send(dispatched, inner);
    this.wrapped.add(send);
    return send;
  }

  private async send(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
  ): Promise<AxiosResponse> {
    if (this.closed) throw new CanceledError(undefined, config);
    const call = this.control(config);
    let answer: AxiosResponse | undefined;
    try {
      if (!this.deps.enkashOrigin.matches(config)) {
        answer = await inner(config);
        return answer;
      }
      const record: CallRecord = { tokens: [], retriedAfterUnauthorized: false };
      this.records.set(config, record);
      this.keepTokenOnRedirect(config);
      const cached = this.deps.auth.getCachedAccessToken();
      // With a cached token nothing is awaited before the request is handed to the adapter.
      const startedAt = performance.now();
      const token = cached ?? (await this.waitForToken(config, call));
      answer = await this.attempt(config, inner, { token, record, call, startedAt });
      return answer;
    } finally {
      // A stream answer is still being read: the caller's abort and shutdown must keep reaching it.
      const stream = answer?.data as { once?: (event: string, listener: () => void) => void };
      if (config.responseType === 'stream' && typeof stream?.once === 'function') {
        stream.once('close', call.release);
      } else {
        call.release();
      }
    }
  }

  private async attempt(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
    state: { token: string; record: CallRecord; call: CallControl; startedAt: number },
  ): Promise<AxiosResponse> {
    const { token, record, call, startedAt } = state;
    record.tokens.push(token);
    config.headers.set('Authorization', `Bearer ${token}`);
    // The timeout bounds the attempt: what the wait for a token took is not given to the request again.
    if (call.timeoutMs > 0) {
      config.timeout = Math.max(1, Math.ceil(call.timeoutMs - (performance.now() - startedAt)));
    }
    // An adapter handed an already aborted call may still send it: a cancelled payment must never go out.
    if (call.signal.aborted) throw new CanceledError(undefined, config);
    let answer: AxiosResponse;
    try {
      answer = await inner(config);
    } catch (error) {
      if (!isAxiosError(error) || error.response?.status !== 401) throw error;
      return this.afterUnauthorized(config, inner, state, error.response, error);
    }
    // A call whose validateStatus accepts 401 still gets the recovery: the 401 is about our token, not its data.
    if (answer.status !== 401) return answer;
    return this.afterUnauthorized(config, inner, state, answer, answer);
  }

  /** EnKash refused `token`: tell the engine, then send the call once more with the current token. */
  private async afterUnauthorized(
    config: InternalAxiosRequestConfig,
    inner: AxiosAdapter,
    state: { token: string; record: CallRecord; call: CallControl },
    answer: AxiosResponse,
    outcome: AxiosResponse | AxiosError,
  ): Promise<AxiosResponse> {
    const { token, record, call } = state;
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
    const current = await this.waitForToken(config, call);
    record.retriedAfterUnauthorized = true;
    return this.attempt(config, inner, { token: current, record, call, startedAt });
  }

  /**
   * Ties the call to the caller's signal, the caller's cancel token (what `HttpService` uses when an Observable is
   * unsubscribed) and shutdown, through a controller of its own: one long-lived signal shared by every call would
   * collect a listener per call. `release()` removes what was added to the caller's signal and token.
   */
  private control(config: InternalAxiosRequestConfig): CallControl {
    const controller = new AbortController();
    const callerSignal = config.signal;
    const cancelToken = config.cancelToken;
    const abort = (): void => controller.abort();
    if (callerSignal?.aborted === true || cancelToken?.reason !== undefined) controller.abort();
    callerSignal?.addEventListener?.('abort', abort, { once: true });
    cancelToken?.subscribe(abort);
    config.signal = controller.signal;
    this.inFlight.add(controller);
    return {
      signal: controller.signal,
      timeoutMs: config.timeout ?? 0,
      release: () => {
        callerSignal?.removeEventListener?.('abort', abort);
        cancelToken?.unsubscribe(abort);
        this.inFlight.delete(controller);
      },
    };
  }

  /** The token from the engine, but no longer than the attempt's timeout and the call's signal allow. */
  private waitForToken(config: InternalAxiosRequestConfig, call: CallControl): Promise<string> {
    const token = this.deps.auth.getAccessToken();
    const { signal, timeoutMs } = call;
    return new Promise<string>((resolve, reject) => {
      const cleanUp = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        cleanUp();
        reject(new CanceledError(undefined, config));
      };
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              cleanUp();
              const code = config.transitional?.clarifyTimeoutError
                ? AxiosError.ETIMEDOUT
                : AxiosError.ECONNABORTED;
              reject(new AxiosError(tokenWaitTimedOut(timeoutMs), code, config));
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
      if (!this.deps.enkashOrigin.matchesUrl(options.href)) {
        for (const name of Object.keys(options.headers ?? {})) {
          if (name.toLowerCase() === 'authorization') delete options.headers?.[name];
        }
      }
      callersHook?.(options, ...details);
    };
    (config as { beforeRedirect?: RedirectHook }).beforeRedirect = hook;
  }
}
