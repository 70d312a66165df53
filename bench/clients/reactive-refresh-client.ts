// The usual alternative: axios-auth-refresh, as its README shows it. The token is attached by a request
// interceptor; a 401 triggers a refresh (the refresh grant, the password grant when there is no refresh token or the
// refresh grant fails) and the failed call is sent again once. Nothing renews a token before it expires.
import axios from 'axios';
import type { AxiosError, AxiosInstance } from 'axios';
import { createAuthRefresh } from 'axios-auth-refresh';
import type { SimulatorCredentials } from '../support/remote-simulator.js';
import { requestToken } from './token-request.js';

/** When a refresh started and ended, on `performance.now()`'s clock. */
export interface RefreshWindow {
  startedAt: number;
  endedAt: number;
}

/** An axios instance whose token is refreshed after a 401. */
export class ReactiveRefreshClient {
  /** The instance calls go through. */
  readonly http: AxiosInstance;
  /** Every refresh this client made. */
  readonly refreshes: RefreshWindow[] = [];
  private readonly tokenHttp: AxiosInstance;
  private accessToken: string | undefined;
  private refreshToken: string | undefined;

  /**
   * `deduplicateRefresh`: axios-auth-refresh's own option (default `true`), which refreshes once for concurrent 401s
   * and rejects a 401 that arrives while that refresh is under way; `false` refreshes for each of them.
   */
  constructor(
    baseUrl: string,
    private readonly credentials: SimulatorCredentials,
    deduplicateRefresh = true,
  ) {
    this.http = axios.create({ baseURL: baseUrl });
    this.tokenHttp = axios.create({ baseURL: baseUrl });
    this.http.interceptors.request.use((config) => {
      if (this.accessToken !== undefined)
        config.headers.Authorization = `Bearer ${this.accessToken}`;
      return config;
    });
    // axios-auth-refresh's types are CommonJS and name axios's CommonJS declarations: the same instance, typed twice.
    const instance = this.http as unknown as Parameters<typeof createAuthRefresh>[0];
    createAuthRefresh(instance, (failed: AxiosError) => this.renew(failed), { deduplicateRefresh });
  }

  /** Logs in once, as an application does at startup. */
  async logIn(): Promise<void> {
    this.adopt(await requestToken(this.tokenHttp, this.credentials));
  }

  private async renew(failed: AxiosError): Promise<void> {
    const window: RefreshWindow = { startedAt: performance.now(), endedAt: NaN };
    this.refreshes.push(window);
    try {
      const answer =
        this.refreshToken === undefined
          ? await requestToken(this.tokenHttp, this.credentials)
          : await requestToken(this.tokenHttp, this.credentials, this.refreshToken).catch(() =>
              requestToken(this.tokenHttp, this.credentials),
            );
      this.adopt(answer);
      if (failed.response !== undefined) {
        failed.response.config.headers.Authorization = `Bearer ${answer.accessToken}`;
      }
    } finally {
      window.endedAt = performance.now();
    }
  }

  private adopt(answer: { accessToken: string; refreshToken: string | undefined }): void {
    this.accessToken = answer.accessToken;
    if (answer.refreshToken !== undefined) this.refreshToken = answer.refreshToken;
  }
}
