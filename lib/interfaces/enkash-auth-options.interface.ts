import type { Cluster, Redis } from 'ioredis';
import type { TokenStore } from '../store/token-store.interface.js';

/**
 * Where several replicas share their token: one Redis server (`url`), a primary behind Sentinel (`url` naming it,
 * and `sentinels`), a Redis Cluster (`clusterNodes`), or a connected `ioredis` client of the application's own
 * (`client`): exactly one of `url`, `clusterNodes` and `client`. The token is stored encrypted under a key derived
 * from the client secret. Needs the optional dependency `ioredis`.
 */
export interface EnkashRedisOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. With `sentinels`, the primary as the
   * sentinels name it, without a port: `redis://[[user]:password@]<name>[/db]` (the credentials, TLS and database
   * being the primary's). Environment: `ENKASH_REDIS_URL`.
   */
  url?: string;
  /**
   * The sentinels to ask where the primary named by `url` is: `redis://[[user]:password@]host[:port]` each (port
   * 26379 unless given; credentials only when the sentinels require their own; all alike), or `rediss://` for TLS.
   * Environment: `ENKASH_REDIS_SENTINELS`, the URLs separated by commas.
   */
  sentinels?: readonly string[];
  /**
   * A Redis Cluster, instead of `url`: the URLs of some of its nodes, `redis://[[user]:password@]host[:port]` or
   * `rediss://` each, all with the same credentials, which apply to every node discovered from them. Environment:
   * `ENKASH_REDIS_CLUSTER_NODES`, the URLs separated by commas.
   */
  clusterNodes?: readonly string[];
  /**
   * An `ioredis` client of the application's own, instead of `url` or `clusterNodes`: a `Redis` (to one server, or
   * created with `sentinels` and `name`) or a `Cluster`. It is left open at shutdown.
   */
  client?: Redis | Cluster;
  /**
   * Prefix of every key and channel the library uses. Default: `enkash-auth:`. A `{` in it must open a Redis Cluster
   * hash tag (`{app}:`), which then puts every key of the library in one slot.
   */
  keyPrefix?: string;
  /**
   * How long one Redis operation may take before the instance carries on without Redis, in milliseconds.
   * Default: `500`.
   */
  operationTimeoutMs?: number;
}

/**
 * Options of {@link EnkashAuthModule}. With `enkashConfig` they are read from the environment (`ENKASH_*`).
 */
export interface EnkashAuthOptions {
  /**
   * Origin (and optional path prefix) of the EnKash API, e.g. `https://ekpayout-uat.enkash.in` (Payouts UAT)
   * or `https://api.enkash.in` (production). Must be `https://`, except for loopback hosts used in tests.
   * Required unless `environment` is set; it wins over `environment`. Environment: `ENKASH_BASE_URL`.
   */
  baseUrl?: string;
  /**
   * Picks EnKash's documented Payouts host as `baseUrl` when `baseUrl` is not set: `uat` is
   * `https://ekpayout-uat.enkash.in`, `production` is `https://api.enkash.in`. Environment: `ENKASH_ENVIRONMENT`.
   */
  environment?: EnkashEnvironment;
  /** Client id issued by EnKash (also called "Company Id" on Cards pages). Environment: `ENKASH_CLIENT_ID`. */
  clientId: string;
  /** Client secret issued by EnKash. Never logged. Environment: `ENKASH_CLIENT_SECRET`. */
  clientSecret: string;
  /** The registered e-mail (Payouts) or mobile number (Cards). Environment: `ENKASH_USERNAME`. */
  username: string;
  /** The EnKash account's password. Never logged. Environment: `ENKASH_PASSWORD`. */
  password: string;
  /** Path of the token endpoint, relative to `baseUrl`. Default: `/oauth/token`. Environment: `ENKASH_TOKEN_PATH`. */
  tokenPath?: string;
  /**
   * The longest a renewal may come before expiry, in seconds. Tokens are renewed a tenth of their lifetime before
   * they expire (at least 7.5 s, at most a quarter of a short lifetime), never earlier than this: about one token
   * request per lifetime. Default: `300`. Environment: `ENKASH_REFRESH_BEFORE_EXPIRY_SECONDS`.
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
  /**
   * Shares the token with the application's other replicas through Redis (one server, Sentinel or Cluster), so that
   * one renews it and the others adopt it: EnKash's refresh grant revokes the previous token at once. Environment:
   * `ENKASH_REDIS_URL`, `ENKASH_REDIS_SENTINELS`, `ENKASH_REDIS_CLUSTER_NODES`.
   */
  redis?: EnkashRedisOptions;
  /** A token store of your own instead of `redis` (e.g. `InMemoryTokenStore` for registrations in one process). */
  tokenStore?: TokenStore;
  /**
   * Whether, before a refresh grant, the instance asks EnKash with the password grant for its current token, so as
   * not to revoke a token another replica renewed already (EnKash hands its current token to the password grant).
   * Never while a shared store answers: the store coordinates then. Each check is one more login.
   * - `auto`: once EnKash has refused one of this instance's tokens before it expired (the sign of a replica that
   *   renewed it), and whenever a configured store does not answer.
   * - `always`: before every refresh grant.
   * - `never`: the refresh grant alone.
   *
   * Default: `auto`. Environment: `ENKASH_SERVER_TOKEN_CHECK`.
   */
  serverTokenCheck?: EnkashServerTokenCheck;
  /**
   * Headers sent with every call to EnKash through `EnkashHttpService`, and never to another host: e.g.
   * `{ partnerId: 'P123' }` for Cards. A header the call sets itself wins. `Authorization` is the library's.
   * Environment: `ENKASH_DEFAULT_HEADERS`, a JSON object such as `{"partnerId":"P123"}`.
   */
  defaultHeaders?: Record<string, string>;
  /**
   * Whether `EnkashHttpService` unwraps EnKash's envelope `{ response_code, response_message, payload }` on every
   * call: the answer's `data` becomes `payload` when `response_code` is 0, and the call fails with `EnkashApiError`
   * otherwise. A call's `enkash.unwrapEnvelope` wins. Default: `false`. Environment: `ENKASH_UNWRAP_ENVELOPES`.
   */
  unwrapEnvelopes?: boolean;
  /**
   * Whether `EnkashHttpService` encrypts every request body as EnKash documents for Payouts (AES-128-ECB, key from
   * the client secret, sent as `{ "request": "<base64>" }`) and decrypts answers in that wrapper. A call's
   * `enkash.encryptPayload` wins. Default: `false`. Environment: `ENKASH_ENCRYPT_PAYLOADS`.
   */
  encryptPayloads?: boolean;
}

/** An EnKash environment whose hosts are documented; see `environment`. */
export type EnkashEnvironment = 'uat' | 'production';

/** When an instance checks EnKash's current token before a refresh grant; see `serverTokenCheck`. */
export type EnkashServerTokenCheck = 'auto' | 'always' | 'never';

/** {@link EnkashRedisOptions} after validation, with every default applied. */
export type ResolvedEnkashRedisOptions = Readonly<
  Required<Pick<EnkashRedisOptions, 'keyPrefix' | 'operationTimeoutMs'>> &
    (
      | { url: string; sentinels?: readonly string[]; clusterNodes?: undefined; client?: undefined }
      | {
          clusterNodes: readonly string[];
          url?: undefined;
          sentinels?: undefined;
          client?: undefined;
        }
      | {
          client: Redis | Cluster;
          url?: undefined;
          sentinels?: undefined;
          clusterNodes?: undefined;
        }
    )
>;

/** {@link EnkashAuthOptions} after validation, with every default applied. */
export type ResolvedEnkashAuthOptions = Readonly<
  Required<Omit<EnkashAuthOptions, 'redis' | 'tokenStore' | 'environment' | 'defaultHeaders'>> & {
    /** Set when the options named an environment (`baseUrl` then holds its host, unless set too). */
    environment?: EnkashEnvironment;
    /** Headers for every call to EnKash; empty when none are set. */
    defaultHeaders: Readonly<Record<string, string>>;
    /** Set when the token is shared through Redis. */
    redis?: ResolvedEnkashRedisOptions;
    /** Set when the token is shared through a store of the application's own. */
    tokenStore?: TokenStore;
  }
>;
