/**
 * Options of {@link EnkashAuthModule}. With `enkashConfig` they are read from the environment (`ENKASH_*`).
 */
export interface EnkashAuthOptions {
  /**
   * Origin (and optional path prefix) of the EnKash API, e.g. `https://ekpayout-uat.enkash.in` (Payouts UAT)
   * or `https://api.enkash.in` (production). Must be `https://`, except for loopback hosts used in tests.
   * Environment: `ENKASH_BASE_URL`.
   */
  baseUrl: string;
  /** Client id issued by EnKash (also called "Company Id" on Cards pages). Environment: `ENKASH_CLIENT_ID`. */
  clientId: string;
  /** Client secret issued by EnKash. Never logged. Environment: `ENKASH_CLIENT_SECRET`. */
  clientSecret: string;
  /** The registered e-mail (Payouts) or mobile number (Cards). Environment: `ENKASH_USERNAME`. */
  username: string;
  /** The account's password. Never logged. Environment: `ENKASH_PASSWORD`. */
  password: string;
  /** Path of the token endpoint, relative to `baseUrl`. Default: `/oauth/token`. Environment: `ENKASH_TOKEN_PATH`. */
  tokenPath?: string;
  /**
   * How long before expiry the token is renewed with the refresh grant, in seconds. Never more than half the
   * token's lifetime, so that short-lived tokens do not cause a renewal storm. Default: `300`.
   * Environment: `ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS`.
   */
  refreshBeforeExpirySeconds?: number;
  /**
   * Upper bound on the whole duration of one token request (connect, send, answer), in milliseconds.
   * Default: `10000`. Environment: `ENKASH_TOKEN_TIMEOUT_MS`.
   */
  tokenRequestTimeoutMs?: number;
  /**
   * Upper bound on one call through `EnkashHttpService` (connect, send, answer), in milliseconds; a per-call
   * `timeout` overrides it. Default: `30000`. Environment: `ENKASH_REQUEST_TIMEOUT_MS`.
   */
  requestTimeoutMs?: number;
  /**
   * Whether a token is fetched in the background as soon as the application has booted, so that the first
   * call to EnKash does not wait for it. A failure is logged, never thrown at boot. Default: `true`.
   */
  acquireOnStartup?: boolean;
}

/** {@link EnkashAuthOptions} after validation, with every default applied. */
export type ResolvedEnkashAuthOptions = Readonly<Required<EnkashAuthOptions>>;
