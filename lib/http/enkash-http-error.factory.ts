import type { AxiosError } from 'axios';
import { callFailed, callFailedAfterRetry } from '../enkash-auth.messages.js';
import { EnkashHttpError } from '../errors/enkash-http.error.js';
import type { EnkashHttpErrorResponse } from '../errors/enkash-http.error.js';
import { describeTarget } from './request-target.js';
import type { SecretRedactor } from './secret-redactor.js';
import { refusesToken } from './token-refused.js';

/** A session cookie is a credential; EnKash's Spring stack sets JSESSIONID. */
const DROPPED_HEADERS = new Set(['set-cookie']);

function safeHeaders(headers: unknown, redactor: SecretRedactor): Record<string, string> {
  if (headers === null || typeof headers !== 'object') return {};
  const plain =
    typeof (headers as { toJSON?: unknown }).toJSON === 'function'
      ? (headers as { toJSON: () => unknown }).toJSON()
      : headers;
  const safe: Record<string, string> = {};
  for (const [name, value] of Object.entries(plain as Record<string, unknown>)) {
    const lowerName = name.toLowerCase();
    if (DROPPED_HEADERS.has(lowerName) || value === undefined || value === null) continue;
    safe[lowerName] = redactor.text(Array.isArray(value) ? value.join(', ') : String(value));
  }
  return safe;
}

/**
 * Turns the `AxiosError` of a call into an {@link EnkashHttpError}. The `AxiosError` is not kept, not even as
 * `cause`: its `config` holds the `Authorization` header and the request body, its `request` the raw headers.
 */
export function toEnkashHttpError(
  error: AxiosError,
  redactor: SecretRedactor,
  retriedAfterUnauthorized: boolean,
): EnkashHttpError {
  const target = describeTarget(error.config ?? {});
  const answer = error.response;
  const response: EnkashHttpErrorResponse | undefined =
    answer === undefined
      ? undefined
      : {
          status: answer.status,
          statusText: redactor.text(answer.statusText ?? ''),
          headers: safeHeaders(answer.headers, redactor),
          data: redactor.value(answer.data),
        };
  const reason =
    response !== undefined
      ? response.statusText
      : `${redactor.text(error.message)}${error.code ? ` (${error.code})` : ''}`;
  const message =
    callFailed(target.method, target.url, response?.status, reason) +
    (retriedAfterUnauthorized && refusesToken(response) ? callFailedAfterRetry() : '');
  return new EnkashHttpError(message, {
    ...(error.code !== undefined ? { code: error.code } : {}),
    ...target,
    ...(response !== undefined ? { response } : {}),
    retriedAfterUnauthorized,
  });
}
