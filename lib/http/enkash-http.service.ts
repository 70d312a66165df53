import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { EnkashAuthService } from '../enkash-auth.service.js';
import { ENKASH_RESOLVED_OPTIONS } from '../enkash-auth.providers.js';
import type { ResolvedEnkashAuthOptions } from '../interfaces/enkash-auth-options.interface.js';
import { installEnkashInterceptors } from './enkash-interceptors.js';
import { EnkashTransport } from './enkash-transport.js';
import { EnkashOrigin } from './request-target.js';
import { SecretRedactor } from './secret-redactor.js';

/**
 * `@nestjs/axios`'s `HttpService` for calls to EnKash: `get`, `post`, `put`, `patch`, `delete`, `head`, `request`
 * (Observables) and `axiosRef` (promises) all send `Authorization: Bearer <token>` to EnKash's origin, and never to
 * another host. A call refused with 401 is sent once more with the current token. Failures come out as
 * `EnkashHttpError` (the call failed) or `EnkashAuthError` (no token could be had), never as an `AxiosError`.
 *
 * It runs on an axios instance of its own (`baseURL` = `baseUrl`): the application's `HttpService` and the global
 * `axios` never see the token.
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
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });

  constructor(
    // The HttpService of the HttpModule registered inside EnkashAuthModule: a fresh axios instance per application.
    // @Inject is explicit: without it, HttpService's own @Inject(AXIOS_INSTANCE_TOKEN) would be inherited.
    @Inject(HttpService) privateHttp: HttpService,
    @Inject(EnkashAuthService) auth: EnkashAuthService,
    @Inject(ENKASH_RESOLVED_OPTIONS) options: ResolvedEnkashAuthOptions,
  ) {
    // The global axios only when a test overrides HttpService with a plain `new HttpService()`: the token must never
    // be put on the object every other axios call in the process uses.
    super(privateHttp.axiosRef === axios ? axios.create() : privateHttp.axiosRef);
    const { defaults } = this.axiosRef;
    defaults.baseURL = options.baseUrl;
    defaults.timeout = options.requestTimeoutMs;
    // Own connection pools, so that shutdown can close their sockets.
    defaults.httpAgent = this.httpAgent;
    defaults.httpsAgent = this.httpsAgent;
    const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`, 'utf8').toString(
      'base64',
    );
    this.transport = new EnkashTransport({ auth, enkashOrigin: new EnkashOrigin(options.baseUrl) });
    installEnkashInterceptors(this.axiosRef, {
      auth,
      transport: this.transport,
      redactor: new SecretRedactor([options.clientSecret, options.password, basic]),
    });
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
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
