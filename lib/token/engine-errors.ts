import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { malformedAnswer, serviceClosed } from '../enkash-auth.messages.js';

/** What every caller gets once the engine is closed. */
export function closedError(): EnkashAuthError {
  return new EnkashAuthError('network', serviceClosed());
}

/** A token with less than a second to live: adopting it would schedule renewals in a storm, so it is retried. */
export function tooShortLivedError(): EnkashAuthError {
  return new EnkashAuthError(
    'malformed_response',
    malformedAnswer(200, 'expires_in below one second'),
    {
      status: 200,
      retryable: true,
    },
  );
}

/** Waits `delayMs`, or rejects with {@link closedError} as soon as `signal` aborts. Not unref'd: callers wait on it. */
export function pause(delayMs: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(closedError());
  if (delayMs <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(handle);
      reject(closedError());
    };
    const handle = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, delayMs);
    signal.addEventListener('abort', abort, { once: true });
  });
}
