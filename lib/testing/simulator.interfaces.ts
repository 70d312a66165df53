import type { IncomingHttpHeaders } from 'node:http';

/** Options of {@link startEnkashSimulator}; every one is optional. */
export interface EnkashSimulatorOptions {
  /** OAuth2 client id expected in the Basic header (and the `clientId` form field). Default `'sim-client-id'`. */
  clientId?: string;
  /** OAuth2 client secret expected in the Basic header. Default `'sim-client-secret'`. */
  clientSecret?: string;
  /** The one user account's username. Default `'sim-user@example.com'`. */
  username?: string;
  /**
   * The one user account's password. Default `'sim-p@ss+w0rd=50%'`: it needs form-URL-encoding on purpose (`@`, `+`,
   * `=`, `%`), yet no quoting in a `.env` file or a shell (no space, `&`, `#`, quote or `$`).
   */
  password?: string;
  /** Path of the token endpoint. Default `'/oauth/token'`. */
  tokenPath?: string;
  /** Access token lifetime in seconds; fractions allowed (e.g. `2.5`). Default `86399`. */
  tokenLifetimeSeconds?: number;
  /** Refresh token lifetime in seconds; fractions and `Infinity` allowed. Default 30 days. */
  refreshTokenLifetimeSeconds?: number;
  /** Consecutive failed logins that lock the account; `0` or `Infinity` never locks. Default `3`. */
  lockAfterFailedLogins?: number;
  /** Key style of successful token answers: `access_token` (`'snake'`) or `accessToken` (`'camel'`). Default `'snake'`. */
  responseCase?: 'snake' | 'camel';
  /**
   * Refuse a POST, PUT or PATCH whose body is not empty and not encrypted, as Payouts does: HTTP 200 with the envelope
   * `response_code` 422, `response_message` `'Invalid encrypted request'`. An encrypted body
   * (`{"request": "<ciphertext>"}`) is decrypted with `clientSecret` whatever this says. Default `false`.
   */
  requireEncryptedPayloads?: boolean;
  /**
   * Headers every resource call must carry with exactly these values, e.g. `{ partnerId: 'P123' }` as Cards requires;
   * names are case-insensitive. A call missing one, or with another value, gets HTTP 200 with the envelope
   * `response_code` 403, `response_message` `'<name> header is missing or invalid'` (the value is never echoed).
   * Checked after the access token. Default `{}`.
   */
  requiredHeaders?: Record<string, string>;
  /**
   * Key style of the envelopes of resource answers: `response_code` / `response_message` (`'snake'`) or
   * `responseCode` / `responseMessage` (`'camel'`), as some EnKash pages show; `payload` either way. Default `'snake'`.
   */
  envelopeCasing?: 'snake' | 'camel';
  /** Port to listen on (always on 127.0.0.1). Default `0`: a free port. */
  port?: number;
}

/** OAuth2 grant types understood by the simulator's token endpoint. */
export type EnkashSimulatorGrant = 'password' | 'refresh_token';

/** A failure the token endpoint simulates instead of (or, for `delay`, before) its normal answer. */
export type EnkashSimulatorFault =
  /** 500 `{"error":"server_error","error_description":"Internal Server Error"}`. */
  | { kind: 'server-error' }
  /** 502 with an HTML page (`Content-Type: text/html`), as a proxy in front of EnKash would send. */
  | { kind: 'bad-gateway-html' }
  /** 429 with a `Retry-After` header of the given seconds. */
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  /** Accept the request and never answer (until the client gives up or `close()` is called). */
  | { kind: 'hang' }
  /** Reset the connection without answering. */
  | { kind: 'connection-reset' }
  /** 200, `application/json`, with a body that is not JSON. */
  | { kind: 'malformed-json' }
  /** 200 JSON that lacks `access_token` / `accessToken`. */
  | { kind: 'no-access-token' }
  /** 400 `invalid_grant` / `Bad credentials`; on a password grant it counts as a failed login. */
  | { kind: 'bad-credentials' }
  /** 400 `invalid_grant` / `Invalid refresh token: <the token sent>`. */
  | { kind: 'invalid-refresh-token' }
  /** Any status with an optional body (default empty) and headers. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Answer normally, but only after `ms` milliseconds. */
  | { kind: 'delay'; ms: number };

/** The faults that the token endpoint and protected resource paths answer alike. */
export type EnkashSimulatorCommonFault = Extract<
  EnkashSimulatorFault,
  {
    kind:
      | 'server-error'
      | 'bad-gateway-html'
      | 'rate-limited'
      | 'hang'
      | 'connection-reset'
      | 'malformed-json'
      | 'status';
  }
>;

/**
 * A failure a protected resource path simulates instead of (or, for `delay`, before) its normal answer. The token
 * endpoint's kinds that make sense for an API call, plus `invalid-token`.
 */
export type EnkashSimulatorResourceFault =
  | EnkashSimulatorCommonFault
  | Extract<EnkashSimulatorFault, { kind: 'delay' }>
  /**
   * 401 `invalid_token` / `Invalid access token: <the token sent>` with a `WWW-Authenticate` challenge, whether the
   * token is valid or not: EnKash refusing a token it did not revoke (another host, a missing product header...).
   */
  | { kind: 'invalid-token' }
  /**
   * HTTP 200 with this envelope, in the simulator's `envelopeCasing` and encrypted when the request was: EnKash
   * refusing a call its own way (e.g. `1` generic, `409` duplicate, `412`), or answering a given `payload` (left out
   * when undefined). Like every resource fault, it answers before the access token is checked.
   */
  | { kind: 'envelope'; responseCode: number; responseMessage: string; payload?: unknown };

/** Which resource requests an injected resource fault applies to. */
export interface EnkashSimulatorResourceFaultOptions {
  /** How many matching resource requests it applies to; `Infinity` allowed. Default `1`. */
  times?: number;
  /** Only requests to this path (exact match, without query string). Default: any resource path. */
  path?: string;
}

/** One request received on a protected resource path, as logged by the simulator. */
export interface EnkashSimulatorResourceRequest {
  /** HTTP method. */
  method: string;
  /** Path, without query string. */
  path: string;
  /** The raw `Authorization` header. */
  authorization: string | undefined;
  /** Every header of the request, names lower-cased (as `node:http` gives them), `authorization` included. */
  headers: IncomingHttpHeaders;
  /**
   * The body as JSON, decrypted when it was encrypted; `null` when empty, not JSON, or encrypted with another key.
   */
  body: unknown;
  /** Whether the body was EnKash's encrypted wrapper `{"request": "<string>"}`, decryptable or not. */
  encrypted: boolean;
  /** `Date.now()` when the request body had been read. */
  receivedAt: number;
}

/** Which token requests an injected fault applies to. */
export interface EnkashSimulatorFaultOptions {
  /** How many matching token requests it applies to; `Infinity` allowed. Default `1`. */
  times?: number;
  /** Only token requests of this grant type. Default: any request to the token path. */
  grant?: EnkashSimulatorGrant;
}

/** One request received by the token endpoint, as logged by the simulator. */
export interface EnkashSimulatorTokenRequest {
  /** The `grant_type` form field, or `''` when absent. */
  grantType: string;
  /** The raw `Authorization` header. */
  authorization: string | undefined;
  /** The raw `Content-Type` header. */
  contentType: string | undefined;
  /** The decoded form fields (first value of each); `{}` unless the body was form-urlencoded. */
  form: Record<string, string>;
  /** `Date.now()` when the request body had been read. */
  receivedAt: number;
}

/** Counters kept by the simulator. */
export interface EnkashSimulatorStats {
  /** Requests to the token endpoint, faulted or not. */
  tokenRequests: number;
  /** Token requests with `grant_type=password`, faulted or not. */
  passwordGrants: number;
  /** Token requests with `grant_type=refresh_token`, faulted or not. */
  refreshGrants: number;
  /** New access tokens created. */
  tokensIssued: number;
  /** Password grants rejected for bad user credentials (including injected `bad-credentials`). */
  failedLogins: number;
  /** Requests to any other path (protected resources). */
  resourceRequests: number;
  /** Protected-resource requests answered 401. */
  resourceUnauthorized: number;
}

/** A running EnKash token-server simulator; see {@link startEnkashSimulator}. */
export interface EnkashSimulator {
  /** Base URL without trailing slash, e.g. `'http://127.0.0.1:53211'`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The effective options (reflects `setTokenLifetime`, `setCredentials` and `setRequireEncryptedPayloads`). */
  readonly options: Required<Omit<EnkashSimulatorOptions, 'port'>>;
  /** Live counters (the same object keeps updating; spread it for a snapshot). */
  readonly stats: EnkashSimulatorStats;
  /** Live log of token requests, in order of arrival. */
  readonly tokenRequests: readonly EnkashSimulatorTokenRequest[];
  /** Live log of requests to protected resource paths, in order of arrival. */
  readonly resourceCalls: readonly EnkashSimulatorResourceRequest[];
  /**
   * Every access and refresh token value the token endpoint has answered with, in order, each once; for tests that
   * check no token ever shows up in a log line or an error. `resetStats()` does not clear it.
   */
  readonly issuedTokens: readonly string[];
  /** The access token the server holds as valid now, if any. */
  readonly currentAccessToken: string | undefined;
  /**
   * The environment variables that point a registration of the library at this simulator, with its current
   * credentials: `ENKASH_BASE_URL`, `ENKASH_CLIENT_ID`, `ENKASH_CLIENT_SECRET`, `ENKASH_USERNAME`, `ENKASH_PASSWORD`,
   * and `ENKASH_TOKEN_PATH` only when the simulator's `tokenPath` is not the library's default `/oauth/token`. With
   * `registrationName` (e.g. `'cards'`), the variables of that registration: `ENKASH_CARDS_BASE_URL`, ...; `'default'`
   * or no name is the unnamed registration. A frozen object, a snapshot taken when called.
   *
   * @throws RangeError when `registrationName` is not a registration name the library accepts (lower-case words
   * joined by `-`).
   * @example
   * Object.assign(process.env, simulator.environment());
   * const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
   */
  environment(registrationName?: string): Readonly<Record<string, string>>;
  /** Sets the access token lifetime (seconds, fractions allowed) of tokens issued from now on. */
  setTokenLifetime(seconds: number): void;
  /** Queues a fault for upcoming token requests; faults apply in the order they were injected. */
  injectFault(fault: EnkashSimulatorFault, options?: EnkashSimulatorFaultOptions): void;
  /** Queues a fault for upcoming requests to protected resource paths, in the order they were injected. */
  injectResourceFault(
    fault: EnkashSimulatorResourceFault,
    options?: EnkashSimulatorResourceFaultOptions,
  ): void;
  /** Removes every queued fault, token and resource ones. */
  clearFaults(): void;
  /** The current access token stops being valid at once, as if revoked by another party. */
  revokeAccessToken(): void;
  /** The current access token expires at once; the next password grant issues a new one. */
  expireAccessToken(): void;
  /** Changes the client and/or user credentials the server accepts; a new `clientSecret` is also the new payload key. */
  setCredentials(
    update: Partial<
      Pick<EnkashSimulatorOptions, 'clientId' | 'clientSecret' | 'username' | 'password'>
    >,
  ): void;
  /** Turns {@link EnkashSimulatorOptions.requireEncryptedPayloads} on or off, for requests from now on. */
  setRequireEncryptedPayloads(on: boolean): void;
  /** Unlocks the account and resets the consecutive-failure counter. */
  unlockAccount(): void;
  /** Zeroes the counters and clears the token and resource request logs. */
  resetStats(): void;
  /** Closes the server and destroys every open socket, hung requests included; idempotent. */
  close(): Promise<void>;
}
