import { isAxiosError } from 'axios';
import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import { toEnkashHttpError } from './enkash-http-error.factory.js';
import type { EnkashPayloads } from './enkash-payloads.js';
import type { EnkashTransport } from './enkash-transport.js';
import type { SecretRedactor } from './secret-redactor.js';

/** What the interceptors need from their surroundings. */
export interface EnkashInterceptorDependencies {
  auth: Pick<EnkashAuthService, 'getCachedAccessToken'>;
  /** Attaches the token at dispatch, replays after a 401, aborts at shutdown. */
  transport: EnkashTransport;
  /** Masks the configured secrets; the call's tokens are added per error. */
  redactor: SecretRedactor;
  /** Decryption and envelopes of EnKash's answers (the transport encrypts the calls). */
  payloads: EnkashPayloads;
}

/**
 * Installs on `instance` (an axios instance the library owns, never the global one):
 * - a synchronous request interceptor that routes the call through the {@link EnkashTransport}, which sets
 *   `Authorization: Bearer <token>` at dispatch time, on EnKash's origin only, and replays the call once after a 401;
 * - a response interceptor that decrypts and unwraps EnKash's answers when the call asks for it (an `EnkashApiError`
 *   when the envelope refuses), keeps the token out of logged responses and turns every other failure into an
 *   `EnkashHttpError`.
 *
 * Registered first, the request interceptor runs after the application's own (axios runs request interceptors in
 * reverse order of registration), and the response interceptor before the application's.
 *
 * Only `interceptors` is asked of the instance: the instance comes from `@nestjs/axios`, whose types may name axios's
 * declarations of the other module format (the CommonJS build meets @nestjs/axios 12's ES module types), and its
 * interceptors are alike in both, where the whole `AxiosInstance` is not.
 */
export function installEnkashInterceptors(
  instance: Pick<AxiosInstance, 'interceptors'>,
  deps: EnkashInterceptorDependencies,
): void {
  const { auth, transport, redactor, payloads } = deps;

  const routeThroughTransport = (
    config: InternalAxiosRequestConfig,
  ): InternalAxiosRequestConfig => {
    config.adapter = transport.adapterFor(config);
    return config;
  };

  /** Masks the tokens `config`'s call was sent with, the current one and the configured secrets. */
  const redactorFor = (config: InternalAxiosRequestConfig | undefined): SecretRedactor =>
    redactor.with([...(transport.recordOf(config)?.tokens ?? []), auth.getCachedAccessToken()]);

  const hideCredentials = (response: AxiosResponse): AxiosResponse => {
    // Decrypted and unwrapped before the application's response interceptors see it, and before a logged response
    // loses its config below. Only a call that went to EnKash has a record.
    if (payloads.appliesTo(response.config) && transport.recordOf(response.config) !== undefined) {
      payloads.readAnswer(response, redactorFor(response.config));
    }
    // An error answer the call's validateStatus accepted may echo the token (Spring: "Invalid access token: …").
    if (response.status >= 400) {
      const redact = redactorFor(response.config);
      if (response.config?.responseType !== 'stream') response.data = redact.value(response.data);
      const headers = response.headers as Record<string, unknown>;
      for (const [name, value] of Object.entries(headers)) {
        if (typeof value === 'string') headers[name] = redact.text(value);
      }
    }
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

  const sanitize = (error: unknown): never => {
    // An AxiosError without the call's config was raised before anything was sent (an option axios cannot use):
    // it holds no header, and is passed on as axios raised it.
    if (!isAxiosError(error) || error.config === undefined) throw error;
    const record = transport.recordOf(error.config);
    if (record !== undefined && error.response !== undefined && payloads.appliesTo(error.config)) {
      const refusal = payloads.readErrorAnswer(error.response, redactorFor(error.config));
      if (refusal !== undefined) throw refusal;
    }
    throw toEnkashHttpError(
      error,
      redactorFor(error.config),
      record?.retriedAfterUnauthorized ?? false,
    );
  };

  instance.interceptors.request.use(routeThroughTransport, undefined, { synchronous: true });
  instance.interceptors.response.use(hideCredentials, sanitize);
}
