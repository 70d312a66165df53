import { isAxiosError } from 'axios';
import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import { toEnkashHttpError } from './enkash-http-error.factory.js';
import type { EnkashOrigin } from './request-target.js';
import type { SecretRedactor } from './secret-redactor.js';

/**
 * Marks the second attempt after a 401. A string key: axios copies a config's own string keys when it is sent again,
 * and drops symbol keys.
 */
const RETRIED_AFTER_UNAUTHORIZED = 'enkashRetriedAfterUnauthorized';

type RequestConfig = InternalAxiosRequestConfig & { [RETRIED_AFTER_UNAUTHORIZED]?: boolean };

/** What the interceptors need from their surroundings. */
export interface BearerInterceptorDependencies {
  auth: Pick<EnkashAuthService, 'getAccessToken' | 'getCachedAccessToken' | 'invalidate'>;
  /** Which requests go to EnKash and get the token. */
  enkashOrigin: EnkashOrigin;
  /** Masks the configured secrets; tokens are added per error. */
  redactor: SecretRedactor;
  /** Aborted when the application shuts down: every call under way is aborted with it. */
  shutdownSignal: AbortSignal;
}

function bearerTokenOf(config: InternalAxiosRequestConfig): string | undefined {
  const header = config.headers?.get?.('Authorization');
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
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

/**
 * Installs on `instance` (an axios instance the library owns, never the global one):
 * - a synchronous request interceptor that sets `Authorization: Bearer <cached token>` on requests to EnKash's
 *   origin only, and ties every request to the shutdown signal;
 * - an asynchronous one that runs only when no token is cached, and waits for one;
 * - a response interceptor that recovers once from a 401 and turns every failure into an `EnkashHttpError`.

 */
export function installBearerInterceptors(
  instance: AxiosInstance,
  deps: BearerInterceptorDependencies,
): void {
  const { auth, enkashOrigin, redactor, shutdownSignal } = deps;

  const attachCachedToken = (config: InternalAxiosRequestConfig): InternalAxiosRequestConfig => {
    if (config.signal === undefined) config.signal = shutdownSignal;
    else if (config.signal instanceof AbortSignal && config.signal !== shutdownSignal) {
      config.signal = AbortSignal.any([config.signal, shutdownSignal]);
    }
    if (enkashOrigin.matches(config)) {
      const token = auth.getCachedAccessToken();
      // Without a cached token, attachAwaitedToken (which ran first) has set the header.
      if (token !== undefined) config.headers.set('Authorization', `Bearer ${token}`);
    }
    return config;
  };

  const attachAwaitedToken = async (
    config: InternalAxiosRequestConfig,
  ): Promise<InternalAxiosRequestConfig> => {
    if (enkashOrigin.matches(config)) {
      config.headers.set('Authorization', `Bearer ${await auth.getAccessToken()}`);
    }
    return config;
  };

  /** Whether a 401 answer to this request is ours to recover from: EnKash's, first attempt, body replayable. */
  const isRecoverable = (config: RequestConfig): boolean =>
    config[RETRIED_AFTER_UNAUTHORIZED] !== true &&
    enkashOrigin.matches(config) &&
    canBeSentAgain(config);

  /** Sends the request once more with the current token, after telling the engine which token was refused. */
  const sendAgain = async (config: RequestConfig, answer: unknown): Promise<AxiosResponse> => {
    redactor.value(answer); // destroys a stream body, freeing its socket
    const usedToken = bearerTokenOf(config);
    // Acts only if usedToken is still the held token: 50 concurrent 401s cause one token request.
    if (usedToken !== undefined) auth.invalidate(usedToken);
    const token = await auth.getAccessToken();
    const again: RequestConfig = { ...config, [RETRIED_AFTER_UNAUTHORIZED]: true };
    again.headers.set('Authorization', `Bearer ${token}`);
    return instance.request(again);
  };

  const hideCredentials = (response: AxiosResponse): AxiosResponse => {
    // A logged response must not show the token: `config.headers` holds it, and both `config` (through the agent's
    // sockets) and `request` reach the raw request headers. They stay readable, but out of inspect() and JSON.
    response.config?.headers?.delete?.('Authorization');
    for (const key of ['config', 'request'] as const) {
      if (response[key] === undefined) continue;
      Object.defineProperty(response, key, {
        value: response[key],
        enumerable: false,
        configurable: true,
        writable: true,
      });
    }
    return response;
  };

  const onAnswer = (response: AxiosResponse): AxiosResponse | Promise<AxiosResponse> => {
    // A call whose validateStatus accepts 401 still gets the recovery: the 401 is about our token, not its data.
    if (response.status === 401 && response.config && isRecoverable(response.config)) {
      return sendAgain(response.config, response.data);
    }
    return hideCredentials(response);
  };

  const onFailure = async (error: unknown): Promise<AxiosResponse> => {
    if (!isAxiosError(error) || error.config === undefined) throw error;
    const config = error.config as RequestConfig;
    if (error.response?.status === 401 && isRecoverable(config)) {
      return sendAgain(config, error.response.data);
    }
    const redact = redactor.with([bearerTokenOf(config), auth.getCachedAccessToken()]);
    throw toEnkashHttpError(error, redact, config[RETRIED_AFTER_UNAUTHORIZED] === true);
  };

  // Registered first, so it runs last (axios runs request interceptors in reverse order of registration).
  instance.interceptors.request.use(attachCachedToken, undefined, {
    synchronous: true,
  });
  instance.interceptors.request.use(attachAwaitedToken, undefined, {
    // Evaluated per request: with a cached token this interceptor is skipped and the whole chain stays synchronous.
    runWhen: () => auth.getCachedAccessToken() === undefined,
  });
  instance.interceptors.response.use(onAnswer, onFailure);
}
