import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import { EnkashAuthService, EnkashHttpError, enkashConfig } from '../../lib/index.js';
import type { EnkashConfig } from '../../lib/index.js';
import { payoutsConfig } from './payouts.config.js';
import type { PayoutsConfig } from './payouts.config.js';
import type { EnkashAnswer } from './enkash-answer.js';
import type { NewTransfer } from './payouts.requests.js';
import { ENKASH_USER_AGENT } from './user-agent.js';

const PAYOUT_TRANSACTION_PATH = '/api/v0/payout-transaction';

/**
 * Creates payouts with Node's global `fetch` and the token `@EnkashToken()` handed over: the pattern for code that
 * cannot go through `EnkashHttpService` (a vendor SDK, another HTTP client). What `EnkashHttpService` does for free
 * is done by hand here: the URL built on EnKash's base URL only, a timeout, no redirects followed with the token,
 * the token kept out of errors, and telling the library when EnKash refuses the token.
 */
@Injectable()
export class PayoutTransfersClient implements OnModuleDestroy {
  /** Calls under way, aborted when the application shuts down (Ctrl-C must not wait for a slow EnKash). */
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly auth: EnkashAuthService,
    @Inject(enkashConfig.KEY) private readonly enkash: EnkashConfig,
    @Inject(payoutsConfig.KEY) private readonly payouts: PayoutsConfig,
  ) {}

  /** Creates a payout on EnKash; rejects with an `EnkashHttpError` like `EnkashHttpService` would. */
  async create(token: string, transfer: NewTransfer): Promise<EnkashAnswer> {
    const url = this.enkash.baseUrl + PAYOUT_TRANSACTION_PATH;
    let response: Response;
    const shutdown = new AbortController();
    this.inFlight.add(shutdown);
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'User-Agent': ENKASH_USER_AGENT,
        },
        body: JSON.stringify({ ...transfer, fundSourceId: this.payouts.fundSourceId }),
        // A redirect would carry the token to wherever it points.
        redirect: 'error',
        signal: AbortSignal.any([
          AbortSignal.timeout(this.enkash.requestTimeoutMs),
          shutdown.signal,
        ]),
      });
    } catch (error) {
      // AbortSignal.timeout() rejects with a DOMException named TimeoutError; anything else is a network failure.
      const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
      if (shutdown.signal.aborted) throw this.failure(url, 'ERR_CANCELED', 'aborted at shutdown');
      throw this.failure(
        url,
        timedOut ? 'ECONNABORTED' : 'ERR_NETWORK',
        timedOut ? 'timeout' : 'unreachable',
      );
    } finally {
      this.inFlight.delete(shutdown);
    }
    // EnKash's error answers may echo the token (Spring's "Invalid access token: <token>"): mask it at once.
    const text = (await response.text()).split(token).join('***');
    const data: unknown = parseJson(text);
    if (response.ok) return data as EnkashAnswer;
    // EnKash refused the token: the library fetches a new one for the next request.
    if (response.status === 401) this.auth.invalidate(token);
    const retryAfter = response.headers.get('retry-after');
    throw this.failure(url, 'ERR_BAD_RESPONSE', `HTTP ${response.status}`, {
      status: response.status,
      statusText: response.statusText,
      headers: retryAfter !== null ? { 'retry-after': retryAfter } : {},
      data,
    });
  }

  /** Aborts the calls under way: the application is shutting down. */
  onModuleDestroy(): void {
    for (const call of this.inFlight) call.abort();
  }

  private failure(
    url: string,
    code: string,
    reason: string,
    response?: EnkashHttpError['response'],
  ): EnkashHttpError {
    return new EnkashHttpError(`EnKash call POST ${url} failed: ${reason}`, {
      code,
      method: 'POST',
      url,
      path: PAYOUT_TRANSACTION_PATH,
      ...(response !== undefined ? { response } : {}),
      retriedAfterUnauthorized: false,
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}
