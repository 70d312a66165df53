import axios from 'axios';
import type { AxiosInstance } from 'axios';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { createConnectionPools, destroyConnectionPools } from '../http/connection-pools.js';
import type { GrantType } from './grant.js';
import {
  malformedAnswer,
  shuttingDown,
  tokenEndpointUnreachable,
  tokenRequestTimedOut,
} from '../enkash-auth.messages.js';
import type { ResolvedEnkashAuthOptions } from '../interfaces/enkash-auth-options.interface.js';
import { interpretTokenAnswer } from './token-answer.js';
import type { TokenSet } from './token-set.js';

/** A token answer is a few hundred bytes; anything near this is not a token answer. */
const MAX_TOKEN_ANSWER_BYTES = 64 * 1024;

type AbortReason = 'timeout' | 'shutdown';

/**
 * Sends token requests to EnKash over a private axios instance and connection pool: the token request never passes
 * through anyone's interceptors, never follows a redirect with the credentials, and every failure comes out as an
 * {@link EnkashAuthError} (an `AxiosError` would carry the Basic header and the form body in its `config`).
 */
export class TokenHttpClient {
  private readonly http: AxiosInstance;
  private readonly pools = createConnectionPools(4);
  private readonly inFlight = new Set<AbortController>();
  private readonly tokenUrl: string;
  private readonly basicAuthorization: string;
  private closed = false;

  constructor(private readonly options: ResolvedEnkashAuthOptions) {
    this.tokenUrl = options.baseUrl + options.tokenPath;
    this.basicAuthorization =
      'Basic ' +
      Buffer.from(`${options.clientId}:${options.clientSecret}`, 'utf8').toString('base64');
    this.http = axios.create({
      httpAgent: this.pools.httpAgent,
      httpsAgent: this.pools.httpsAgent,
      maxRedirects: 0,
      maxContentLength: MAX_TOKEN_ANSWER_BYTES,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
    });
  }

  /** The password grant, exactly as EnKash documents it. */
  requestPasswordGrant(): Promise<TokenSet> {
    return this.send('password', {
      username: this.options.username,
      password: this.options.password,
      grant_type: 'password',
      clientId: this.options.clientId,
    });
  }

  /** The refresh grant: EnKash revokes the previous access token as soon as it answers. */
  requestRefreshGrant(refreshToken: string): Promise<TokenSet> {
    return this.send(
      'refresh_token',
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      [refreshToken],
    );
  }

  /** Aborts every request under way and closes pooled connections; later requests fail at once. */
  close(): void {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort('shutdown' satisfies AbortReason);
    this.inFlight.clear();
    destroyConnectionPools(this.pools);
  }

  private async send(
    grant: GrantType,
    form: Record<string, string>,
    extraSecrets: readonly string[] = [],
  ): Promise<TokenSet> {
    if (this.closed) throw new EnkashAuthError('network', shuttingDown(), { grantType: grant });
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort('timeout' satisfies AbortReason),
      this.options.tokenRequestTimeoutMs,
    );
    this.inFlight.add(controller);
    try {
      const response = await this.http.post<string>(
        this.tokenUrl,
        new URLSearchParams(form).toString(),
        {
          signal: controller.signal,
          headers: {
            Authorization: this.basicAuthorization,
            'Content-Type': 'application/x-www-form-urlencoded',
            Accept: 'application/json',
          },
        },
      );
      return interpretTokenAnswer(
        {
          status: response.status,
          body: typeof response.data === 'string' ? response.data : '',
          retryAfter: response.headers['retry-after'],
        },
        grant,
        this.tokenUrl,
        [
          this.options.clientSecret,
          this.options.password,
          this.options.username,
          this.basicAuthorization,
          this.basicAuthorization.slice('Basic '.length),
          ...extraSecrets,
        ],
      );
    } catch (error) {
      if (error instanceof EnkashAuthError) throw error;
      throw this.transportError(error, controller.signal.reason, grant);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /** Only the error's code is read: its message, config and request hold the form body and headers. */
  private transportError(error: unknown, abortReason: unknown, grant: GrantType): EnkashAuthError {
    if (abortReason === 'timeout') {
      return new EnkashAuthError(
        'timeout',
        tokenRequestTimedOut(this.options.tokenRequestTimeoutMs),
        {
          retryable: true,
          grantType: grant,
        },
      );
    }
    if (abortReason === 'shutdown' || this.closed) {
      return new EnkashAuthError('network', shuttingDown(), { grantType: grant });
    }
    const code =
      axios.isAxiosError(error) && typeof error.code === 'string' ? error.code : 'unknown error';
    if (code === 'ERR_BAD_RESPONSE' || code === 'ERR_FR_MAX_BODY_LENGTH_EXCEEDED') {
      return new EnkashAuthError(
        'malformed_response',
        malformedAnswer(undefined, 'an answer that could not be read'),
        {
          retryable: true,
          grantType: grant,
        },
      );
    }
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      return new EnkashAuthError(
        'timeout',
        tokenRequestTimedOut(this.options.tokenRequestTimeoutMs),
        {
          retryable: true,
          grantType: grant,
        },
      );
    }
    return new EnkashAuthError('network', tokenEndpointUnreachable(this.tokenUrl, code), {
      retryable: true,
      grantType: grant,
    });
  }
}
