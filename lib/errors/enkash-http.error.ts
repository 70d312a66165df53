/** EnKash's answer to a failed call, as kept by {@link EnkashHttpError}: tokens and secrets masked, cookies dropped. */
export interface EnkashHttpErrorResponse {
  /** HTTP status of the answer. */
  status: number;
  /** HTTP status text of the answer. */
  statusText: string;
  /** Headers of the answer, lower-cased, without `set-cookie`. */
  headers: Record<string, string>;
  /** The body of the answer, parsed as the request asked (JSON by default). */
  data: unknown;
}

/** What an {@link EnkashHttpError} is made of. */
export interface EnkashHttpErrorDetails {
  /** axios's error code (`ERR_BAD_REQUEST`, `ERR_BAD_RESPONSE`, `ECONNABORTED`, `ECONNREFUSED`, `ERR_CANCELED`...). */
  code?: string;
  /** HTTP method of the call, upper-cased. */
  method: string;
  /** Origin and path of the call, without query string or credentials. */
  url: string;
  /** Path of the call, without query string. */
  path: string;
  /** EnKash's answer, when there was one. */
  response?: EnkashHttpErrorResponse;
  /** Whether the call was sent a second time after EnKash answered 401 to the first attempt. */
  retriedAfterUnauthorized: boolean;
}

/**
 * A call through `EnkashHttpService` failed: EnKash answered with an error status, or could not be reached.
 * It keeps what a caller needs (status, method, path, EnKash's error body) and never holds a token, an
 * `Authorization` header, a secret or the request body: it is not the `AxiosError`, whose `config` and `request`
 * carry them.
 */
export class EnkashHttpError extends Error {
  /** axios's error code, e.g. `ERR_BAD_REQUEST` for a 4xx answer or `ECONNABORTED` for a timeout. */
  readonly code: string | undefined;
  /** HTTP method of the call, upper-cased. */
  readonly method: string;
  /** Origin and path of the call, without query string or credentials. */
  readonly url: string;
  /** Path of the call, without query string. */
  readonly path: string;
  /** HTTP status of EnKash's answer, when there was one. */
  declare readonly status?: number;
  /** EnKash's answer, when there was one: shaped like `AxiosError.response`, so `error.response?.data` works. */
  declare readonly response?: EnkashHttpErrorResponse;
  /** Whether the call was sent a second time after EnKash answered 401 to the first attempt. */
  readonly retriedAfterUnauthorized: boolean;

  constructor(message: string, details: EnkashHttpErrorDetails) {
    super(message);
    this.name = 'EnkashHttpError';
    this.code = details.code;
    this.method = details.method;
    this.url = details.url;
    this.path = details.path;
    // Set only when present, so that logs and inspect() output stay short.
    if (details.response !== undefined) {
      this.status = details.response.status;
      this.response = details.response;
    }
    this.retriedAfterUnauthorized = details.retriedAfterUnauthorized;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
