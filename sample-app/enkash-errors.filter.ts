import { Catch, HttpStatus, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EnkashApiError, EnkashAuthError, EnkashHttpError } from '../lib/index.js';

/** What the client of this API gets for a failed EnKash call. */
interface Answer {
  status: number;
  body: Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** Retry-After when EnKash's answer gives none. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

const gateway = (status: number, message: string, code?: string): Answer => ({
  status,
  body: {
    statusCode: status,
    error: status === HttpStatus.GATEWAY_TIMEOUT ? 'Gateway Timeout' : 'Bad Gateway',
    message,
    ...(code !== undefined ? { code } : {}),
  },
});

const unavailable = (message: string, retryAfterSeconds: number, code?: string): Answer => ({
  status: HttpStatus.SERVICE_UNAVAILABLE,
  body: {
    statusCode: HttpStatus.SERVICE_UNAVAILABLE,
    error: 'Service Unavailable',
    message: `${message}. Try again in ${retryAfterSeconds} s.`,
    ...(code !== undefined ? { code } : {}),
    retryAfterSeconds,
  },
  retryAfterSeconds,
});

function retryAfterOf(error: EnkashHttpError): number {
  const seconds = Number(error.response?.headers['retry-after']);
  return Number.isInteger(seconds) && seconds > 0 ? seconds : DEFAULT_RETRY_AFTER_SECONDS;
}

/** EnKash's own words about a rejected request: its `response_message`, else the HTTP status text. */
function enkashMessage(error: EnkashHttpError): string {
  const data = error.response?.data as { response_message?: unknown } | null | undefined;
  return typeof data?.response_message === 'string'
    ? data.response_message
    : `EnKash answered HTTP ${error.status} ${error.response?.statusText ?? ''}`.trim();
}

/** A call to EnKash failed: pass EnKash's verdict on the client's request on, keep our own problems to a 5xx. */
function answerForCall(error: EnkashHttpError): Answer {
  const status = error.status;
  if (status === undefined) {
    if (error.code === 'ERR_CANCELED') {
      // Aborted at shutdown: EnKash may have processed it. EnKash refuses a repeated transactionId / beneficiaryId
      // (409), so the client can safely send the same request again to another replica.
      return unavailable(
        'This service is shutting down; the outcome of the EnKash call is unknown, send the same request again',
        1,
      );
    }
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') {
      return gateway(HttpStatus.GATEWAY_TIMEOUT, 'EnKash did not answer in time');
    }
    return gateway(HttpStatus.BAD_GATEWAY, 'EnKash cannot be reached');
  }
  if (status === HttpStatus.UNAUTHORIZED) {
    // EnkashHttpService has already tried again with a new token; other clients have told the library (invalidate).
    return error.retriedAfterUnauthorized
      ? gateway(
          HttpStatus.BAD_GATEWAY,
          "EnKash refused this service's access token, even a new one",
        )
      : unavailable('EnKash refused the access token; a new one is being fetched', 1);
  }
  if (status === HttpStatus.FORBIDDEN) {
    return gateway(
      HttpStatus.BAD_GATEWAY,
      'EnKash refused the call: is this API enabled for the account?',
    );
  }
  if (status === HttpStatus.TOO_MANY_REQUESTS) {
    return unavailable('EnKash is rate-limiting this service', retryAfterOf(error));
  }
  if (status >= 400 && status < 500) {
    // The client's request was wrong (a duplicate id, a missing field): its status and EnKash's answer, as is.
    return {
      status,
      body: {
        statusCode: status,
        error: 'EnKash rejected the request',
        message: enkashMessage(error),
        enkash: error.response?.data,
      },
    };
  }
  return gateway(HttpStatus.BAD_GATEWAY, `EnKash failed (HTTP ${status})`);
}

/** EnKash's codes that say the client's own request was wrong (a duplicate id, a failed validation). */
const CLIENT_REFUSALS = new Set([409, 412]);

/**
 * EnKash answered, and its envelope refused the request (or could not be read). A refusal the client caused is passed
 * on with EnKash's code and words; any other (an API not enabled, an invalid client id, an encryption EnKash could not
 * read) is this service's configuration to fix: a 502.
 */
function answerForApi(error: EnkashApiError): Answer {
  if (error.code === 'response_code') {
    const code = Number(error.responseCode);
    const words = error.responseMessage ?? `EnKash's response_code ${String(error.responseCode)}`;
    if (!CLIENT_REFUSALS.has(code)) {
      return gateway(HttpStatus.BAD_GATEWAY, `EnKash refused the call: ${words}`, 'response_code');
    }
    return {
      status: code,
      body: {
        statusCode: code,
        error: 'EnKash rejected the request',
        message: words,
        responseCode: error.responseCode,
      },
    };
  }
  if (error.code === 'unencryptable_request') {
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: {
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'A request could not be encrypted',
      },
    };
  }
  return gateway(HttpStatus.BAD_GATEWAY, "EnKash's answer could not be read", error.code);
}

/** No token could be had for a call made inside a handler (EnkashAuthInterceptor answers before the handler runs). */
function answerForToken(error: EnkashAuthError): Answer {
  // Same split as EnkashAuthInterceptor: what an operator must fix is a 502, whatever else the error says.
  const needsAnOperator = ['invalid_credentials', 'invalid_client', 'config'].includes(error.code);
  if (!needsAnOperator) {
    // Not retryable and not an operator's matter: the library is closed, the application is shutting down.
    const seconds = error.retryable
      ? Math.ceil((error.retryAfterMs ?? DEFAULT_RETRY_AFTER_SECONDS * 1000) / 1000)
      : 1;
    const cause = error.retryable
      ? 'No EnKash access token can be had right now'
      : 'This service is shutting down';
    return unavailable(cause, seconds, error.code);
  }
  return gateway(
    HttpStatus.BAD_GATEWAY,
    "EnKash rejected this service's credentials or configuration; an operator must fix them",
    error.code,
  );
}

/**
 * Turns the library's errors into HTTP answers: EnKash's 4xx verdicts go to the client as they are, anything that is
 * EnKash's or this service's problem becomes a 502/503/504. The details go to the log: the library's messages never
 * hold a token or a secret.
 */
@Catch(EnkashHttpError, EnkashAuthError, EnkashApiError)
export class EnkashErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('EnKash');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: EnkashHttpError | EnkashAuthError | EnkashApiError, host: ArgumentsHost): void {
    const answer =
      error instanceof EnkashAuthError
        ? answerForToken(error)
        : error instanceof EnkashApiError
          ? answerForApi(error)
          : answerForCall(error);
    this.logger.warn(`${error.message} -> HTTP ${answer.status}`);
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    if (answer.retryAfterSeconds !== undefined) {
      httpAdapter.setHeader(response, 'Retry-After', String(answer.retryAfterSeconds));
    }
    httpAdapter.reply(response, answer.body, answer.status);
  }
}
