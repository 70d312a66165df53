// Pure timing rules of the token engine, kept apart so that they can be read and tested on their own.

/** Longer than setTimeout can wait in one go (2^31−1 ms); longer delays are chained. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Backoff after a transient failure: the first retry comes within a second or two, later ones at most a minute apart. */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 60_000;

/** A server's `Retry-After` is honoured up to this long; a longer one would leave the app without a token for too long. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Callers that find no valid token may send a token request even while a background retry waits, but never more
 * often than this: a burst of calls against a failing endpoint must not hammer it.
 */
export const ON_DEMAND_MIN_INTERVAL_MS = 1_000;

/**
 * How long after a failed token request a caller without a valid token may send the next one: a second at first,
 * growing with consecutive failures up to 5 seconds. Background retries follow {@link backoffDelayMs}.
 */
export function onDemandIntervalMs(consecutiveFailures: number): number {
  const exponent = Math.min(Math.max(consecutiveFailures - 1, 0), 30);
  return Math.min(5_000, ON_DEMAND_MIN_INTERVAL_MS * 2 ** exponent);
}

/**
 * Until when, after the failure that ended at `lastFailedAtMs` (the `failures`-th in a row), no token request is
 * sent on a caller's behalf: the on-demand spacing, or the server's `Retry-After` when it is later.
 */
export function failureSpacingEndsAtMs(streak: {
  readonly failures: number;
  readonly lastFailedAtMs: number;
  readonly retryAfterUntilMs: number;
}): number {
  return Math.max(
    streak.lastFailedAtMs + onDemandIntervalMs(streak.failures),
    streak.retryAfterUntilMs,
  );
}

/**
 * How long refusals of a token the token endpoint handed back right after refusing it are passed on to callers: the
 * 401s are not about the token, so each round waits twice as long as the last, up to {@link BACKOFF_MAX_MS}.
 */
export function refusalPassOnMs(rounds: number): number {
  return Math.min(
    BACKOFF_MAX_MS,
    ON_DEMAND_MIN_INTERVAL_MS * 2 ** Math.min(Math.max(rounds - 1, 0), 30),
  );
}

/**
 * How many renewals check EnKash's current token before the refresh grant after EnKash refused a token of ours
 * (`serverTokenCheck: auto`): long enough to find a replica that renews the same account, short enough that a
 * one-off refusal does not make every later renewal cost a password grant.
 */
export const SUSPECTED_RENEWALS = 3;

/** A token answer with less life than this is about to expire on the server: it is renewed at once. */
export const MIN_USEFUL_LIFETIME_MS = 1_000;

/** Lifetime assumed when EnKash's answer has no `expires_in` (its docs mention 5-minute tokens). */
export const ASSUMED_LIFETIME_MS = 5 * 60_000;

/** Announced lifetimes are capped here, far below what a Date can hold. */
export const MAX_LIFETIME_MS = 365 * 24 * 3600_000;

/**
 * A token is not handed out during the last moments of its life, where a call could reach EnKash after it expired:
 * 5 seconds, or a tenth of its lifetime for short-lived tokens.
 */
export function expiryGuardMs(lifetimeMs: number): number {
  return Math.min(5_000, lifetimeMs / 10);
}

/**
 * Room for three backoff retries before a token expires: the longest the first three waits can be (1 + 2 + 4 s), and
 * half a second for the requests themselves. A renewal that meets a blip of the token endpoint still gets a token
 * before the held one runs out.
 */
export const RETRY_ROOM_MS = BACKOFF_BASE_MS * (1 + 2 + 4) + 500;

/** The share of a token's lifetime kept as the renewal margin, once that share is more than {@link RETRY_ROOM_MS}. */
export const MARGIN_SHARE_OF_LIFETIME = 0.1;

/**
 * The most of a short token's lifetime the margin may take: a token of a few seconds, which cannot leave room for
 * three retries, is still renewed about three quarters into its life, not in a storm.
 */
export const MAX_MARGIN_SHARE_OF_LIFETIME = 0.25;

/**
 * The most of a token's lifetime that margin and jitter together may take: renewals then come at least 87.5% of a
 * lifetime apart, at most 1.143 token requests per lifetime.
 */
export const MAX_LEAD_SHARE_OF_LIFETIME = 0.125;

/** The jitter spreads renewals over at least this long (at most half the margin): replicas of short tokens too. */
export const MIN_JITTER_SPAN_MS = 250;

/**
 * How long before expiry a token is renewed at the latest: a tenth of its lifetime, or {@link RETRY_ROOM_MS} when
 * that is more (but never more than {@link MAX_MARGIN_SHARE_OF_LIFETIME} of the lifetime), and never more than
 * `refreshBeforeExpirySeconds`. Renewals so come about one lifetime apart, whether a token lives a minute or a day.
 */
export function renewalMarginMs(lifetimeMs: number, refreshBeforeExpirySeconds: number): number {
  const scaled = Math.max(
    lifetimeMs * MARGIN_SHARE_OF_LIFETIME,
    Math.min(RETRY_ROOM_MS, lifetimeMs * MAX_MARGIN_SHARE_OF_LIFETIME),
  );
  return Math.min(refreshBeforeExpirySeconds * 1_000, scaled);
}

/**
 * How much earlier than its margin the jitter may bring a renewal forward: what the margin leaves of
 * {@link MAX_LEAD_SHARE_OF_LIFETIME}, at least {@link MIN_JITTER_SPAN_MS} and at most half the margin. The wider the
 * spread, the surer one replica renews before the others look.
 */
export function renewalJitterSpanMs(lifetimeMs: number, marginMs: number): number {
  const leftMs = lifetimeMs * MAX_LEAD_SHARE_OF_LIFETIME - marginMs;
  return Math.min(marginMs / 2, Math.max(leftMs, MIN_JITTER_SPAN_MS));
}

/**
 * When to renew, counted from when the token request was sent: `lifetime − margin − jitter`, the margin being
 * {@link renewalMarginMs} and the jitter a random part of {@link renewalJitterSpanMs}.
 *
 * Replicas that share one token all see the same expiry: the jitter spreads their timers, so that the first one
 * renews and the others find its token (in the shared store, or by asking EnKash) before their own timer acts.
 * It only ever brings the renewal forward: the token is always renewed at least the margin before it expires.
 */
export function renewalDelayMs(
  lifetimeMs: number,
  refreshBeforeExpirySeconds: number,
  jitter: () => number = Math.random,
): number {
  const marginMs = renewalMarginMs(lifetimeMs, refreshBeforeExpirySeconds);
  const spanMs = renewalJitterSpanMs(lifetimeMs, marginMs);
  const jitterMs = Math.min(Math.max(jitter(), 0), 1) * spanMs;
  return Math.max(0, Math.round(lifetimeMs - marginMs - jitterMs));
}

/**
 * Exponential backoff with jitter for the n-th consecutive failure (1-based): between half and all of
 * `base × 2^(n−1)`, capped at {@link BACKOFF_MAX_MS}. Jitter keeps replicas from retrying in step.
 */
export function backoffDelayMs(
  consecutiveFailures: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(consecutiveFailures - 1, 0), 30);
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Parses a `Retry-After` header (seconds, or an HTTP date) into milliseconds from now, capped at
 * {@link MAX_RETRY_AFTER_MS}; `undefined` when absent or unreadable.
 */
export function parseRetryAfterMs(
  header: unknown,
  nowEpochMs: number = Date.now(),
): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const text = header.trim();
  let delayMs: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    delayMs = Number(text) * 1_000;
  } else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    delayMs = date - nowEpochMs;
  }
  return Math.min(Math.max(0, Math.round(delayMs)), MAX_RETRY_AFTER_MS);
}
