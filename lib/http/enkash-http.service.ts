import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import type { Observable } from 'rxjs';
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import { ENKASH_REGISTRATION_AUTH, ENKASH_RESOLVED_OPTIONS } from '../enkash-auth.providers.js';
import type { ResolvedEnkashAuthOptions } from '../interfaces/enkash-auth-options.interface.js';
import { createConnectionPools, destroyConnectionPools } from './connection-pools.js';
import { installEnkashInterceptors } from './enkash-interceptors.js';
import { EnkashPayloads } from './enkash-payloads.js';
import { EnkashTransport } from './enkash-transport.js';
import { EnkashOrigin } from './request-target.js';
import { SecretRedactor } from './secret-redactor.js';

/** Default header values at least this long are masked in errors, as secrets are. */
const MASKED_HEADER_MIN_LENGTH = 8;

/**
 * `@nestjs/axios`'s `HttpService` for calls to EnKash: `get`, `post`, `put`, `patch`, `delete`, `head`, `request`
 * (Observables) and `axiosRef` (promises) all send `Authorization: Bearer <token>` to EnKash's origin, and never to
 * another host. A call refused with 401 is sent once more with the current token. Failures come out as
 * `EnkashHttpError` (the call failed) or `EnkashAuthError` (no token could be had), never as an `AxiosError` that
 * holds the call's config (only an option axios rejects before sending anything is passed on as axios raised it).
 *
 * It runs on an axios instance of its own (`baseURL` = `baseUrl`): the application's `HttpService` and the global
 * `axios` never see the token.
 *
 * EnKash's conventions, on calls to EnKash only: the registration's `defaultHeaders`; with `encryptPayloads` (or a
 * call's `enkash.encryptPayload`) the body encrypted into `{ "request": ... }` and such answers decrypted; with
 * `unwrapEnvelopes` (or `enkash.unwrapEnvelope`) the answer's `data` is the envelope's `payload`, and a refusal an
 * `EnkashApiError`.
 *
 * @example
 * const { data } = await firstValueFrom(this.enkash.get('/api/v0/payout-account/balance'));
 */
@Injectable()
export class EnkashHttpService
  extends HttpService
  implements OnModuleDestroy, OnApplicationShutdown
{
  private readonly transport: EnkashTransport;
  private closed = false;
  private readonly pools = createConnectionPools();

  /** @internal Created by Nest: inject `EnkashHttpService`, don't construct it. */
  constructor(
    // The HttpService of the HttpModule registered inside EnkashAuthModule: a fresh axios instance per application.
    // @Inject is explicit: without it, HttpService's own @Inject(AXIOS_INSTANCE_TOKEN) would be inherited.
    @Inject(HttpService) privateHttp: HttpService,
    @Inject(ENKASH_REGISTRATION_AUTH) auth: EnkashAuthService,
    @Inject(ENKASH_RESOLVED_OPTIONS) options: ResolvedEnkashAuthOptions,
  ) {
    // The global axios only when a test overrides HttpService with a plain `new HttpService()`: the token must never
    // be put on the object every other axios call in the process uses. (Its create() is axios.create(), typed as
    // HttpService types its instance.)
    super(privateHttp.axiosRef === axios ? privateHttp.axiosRef.create() : privateHttp.axiosRef);
    const { defaults } = this.axiosRef;
    defaults.baseURL = options.baseUrl;
    defaults.timeout = options.requestTimeoutMs;
    defaults.httpAgent = this.pools.httpAgent;
    defaults.httpsAgent = this.pools.httpsAgent;
    const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`, 'utf8').toString(
      'base64',
    );
    const payloads = new EnkashPayloads(options);
    const defaultHeaders = Object.entries(options.defaultHeaders);
    this.transport = new EnkashTransport({
      auth,
      enkashOrigin: new EnkashOrigin(options.baseUrl),
      prepareEnkashCall: (config) => {
        for (const [name, value] of defaultHeaders) {
          if (!config.headers.has(name)) config.headers.set(name, value);
        }
        if (payloads.appliesTo(config)) payloads.encryptRequest(config);
      },
    });
    installEnkashInterceptors(this.axiosRef, {
      auth,
      transport: this.transport,
      // A default header may carry a key (an API key, say): masked like the secrets, unless too short to tell apart
      // from ordinary text (a partner id such as P123 would mask every P123 in EnKash's answers).
      redactor: new SecretRedactor([
        options.clientSecret,
        options.password,
        basic,
        ...Object.values(options.defaultHeaders).filter(
          (value) => value.length >= MASKED_HEADER_MIN_LENGTH,
        ),
      ]),
      payloads,
    });
  }

  /** Sends a call described by `config`. */
  override request<T = unknown>(config: AxiosRequestConfig): Observable<AxiosResponse<T>> {
    return super.request<T>(config);
  }

  /** `GET url`. */
  override get<T = unknown, D = unknown>(
    url: string,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.get<T, D>(url, config);
  }

  /** `DELETE url`. */
  override delete<T = unknown, D = unknown>(
    url: string,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.delete<T, D>(url, config);
  }

  /** `HEAD url`. */
  override head<T = unknown, D = unknown>(
    url: string,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.head<T, D>(url, config);
  }

  /** `POST url` with `data` as the body (JSON for an object). */
  override post<T = unknown, D = unknown>(
    url: string,
    data?: D,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.post<T, D>(url, data, config);
  }

  /** `PUT url` with `data` as the body (JSON for an object). */
  override put<T = unknown, D = unknown>(
    url: string,
    data?: D,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.put<T, D>(url, data, config);
  }

  /** `PATCH url` with `data` as the body (JSON for an object). */
  override patch<T = unknown, D = unknown>(
    url: string,
    data?: D,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.patch<T, D>(url, data, config);
  }

  /** `POST url` with `data` as `multipart/form-data`. */
  override postForm<T = unknown, D = unknown>(
    url: string,
    data?: D,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.postForm<T, D>(url, data, config);
  }

  /** `PUT url` with `data` as `multipart/form-data`. */
  override putForm<T = unknown, D = unknown>(
    url: string,
    data?: D,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.putForm<T, D>(url, data, config);
  }

  /** `PATCH url` with `data` as `multipart/form-data`. */
  override patchForm<T = unknown, D = unknown>(
    url: string,
    data?: D,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.patchForm<T, D>(url, data, config);
  }

  /** `QUERY url` with `data` as the body. */
  override query<T = unknown, D = unknown>(
    url: string,
    data?: D,
    config?: AxiosRequestConfig<D>,
  ): Observable<AxiosResponse<T, D>> {
    return super.query<T, D>(url, data, config);
  }

  /**
   * The authenticated axios instance itself, for promise-style calls: they get the token and the 401 recovery like
   * the Observable methods. Its `baseURL` is `baseUrl`. Typed as `HttpService` types it, so that it is the
   * `AxiosInstance` of the application's own `@nestjs/axios`, whichever build of axios's types that one reads.
   */
  override get axiosRef(): HttpService['axiosRef'] {
    return super.axiosRef;
  }

  /** @internal Aborts every call under way and closes pooled connections; later calls fail at once. */
  onModuleDestroy(): void {
    this.close();
  }

  /** @internal Same as {@link onModuleDestroy}, for hosts that only enable shutdown hooks. */
  onApplicationShutdown(): void {
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    // The interceptors stay: a call after shutdown fails at once in the transport, never goes out unauthenticated.
    this.transport.close();
    destroyConnectionPools(this.pools);
  }
}
