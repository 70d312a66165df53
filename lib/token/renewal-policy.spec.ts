import { describe, expect, it } from '@jest/globals';
import {
  backoffDelayMs,
  MAX_RETRY_AFTER_MS,
  parseRetryAfterMs,
  renewalDelayMs,
  renewalMarginMs,
  RETRY_ROOM_MS,
} from './renewal-policy.js';

describe('renewal timing', () => {
  const noJitter = (): number => 0;
  const fullJitter = (): number => 1;

  it('renews a day-long token refreshBeforeExpirySeconds before expiry', () => {
    expect(renewalDelayMs(86_399_000, 300, noJitter)).toBe(86_099_000);
  });

  it('keeps a tenth of a shorter lifetime as the margin', () => {
    expect(renewalMarginMs(3_600_000, 300)).toBe(300_000);
    expect(renewalMarginMs(300_000, 300)).toBe(30_000);
    expect(renewalMarginMs(100_000, 300)).toBe(10_000);
  });

  it('leaves room for three backoff retries before expiry whenever the lifetime allows', () => {
    const longestThreeWaits =
      backoffDelayMs(1, () => 1) + backoffDelayMs(2, () => 1) + backoffDelayMs(3, () => 1);
    expect(RETRY_ROOM_MS).toBeGreaterThan(longestThreeWaits);
    for (const lifetimeMs of [30_000, 45_000, 60_000, 75_000, 300_000, 86_399_000]) {
      expect(renewalMarginMs(lifetimeMs, 300)).toBeGreaterThanOrEqual(RETRY_ROOM_MS);
    }
  });

  it('never takes more than a quarter of a short lifetime as margin', () => {
    expect(renewalDelayMs(2_500, 300, noJitter)).toBe(1_875);
    expect(renewalDelayMs(6_000, 300, noJitter)).toBe(4_500);
  });

  it('never renews earlier than refreshBeforeExpirySeconds asks', () => {
    expect(renewalMarginMs(3_600_000, 60)).toBe(60_000);
    expect(renewalMarginMs(60_000, 2)).toBe(2_000);
  });

  it('brings the renewal forward by what the margin leaves of 12.5% of the lifetime (at least a quarter second, at most half the margin), never later than the margin', () => {
    expect(renewalDelayMs(2_500, 300, fullJitter)).toBe(2_500 - 625 - 250);
    expect(renewalDelayMs(5_000, 1, fullJitter)).toBe(5_000 - 1_000 - 250);
    expect(renewalDelayMs(86_399_000, 300, fullJitter)).toBe(86_399_000 - 450_000);
    expect(renewalDelayMs(86_399_000, 300, () => 0.5)).toBe(86_399_000 - 375_000);
    expect(renewalDelayMs(300_000, 300, fullJitter)).toBe(300_000 - 30_000 - 7_500);
    expect(renewalDelayMs(60_000, 300, fullJitter)).toBe(60_000 - 7_500 - 250);
    expect(renewalDelayMs(3_600_000, 300, fullJitter)).toBe(3_600_000 - 300_000 - 150_000);
  });

  it('renews about once per lifetime, for any lifetime from a minute to a day', () => {
    for (const lifetimeSeconds of [60, 300, 3_600, 86_399]) {
      const lifetimeMs = lifetimeSeconds * 1_000;
      const requestsPerLifetime = lifetimeMs / renewalDelayMs(lifetimeMs, 300, fullJitter);
      expect(requestsPerLifetime).toBeLessThanOrEqual(1.15);
    }
    expect(2_500 / renewalDelayMs(2_500, 300, fullJitter)).toBeLessThanOrEqual(2);
  });

  it('spreads replicas that hold the same token over the jitter window', () => {
    const delays = Array.from({ length: 200 }, () => renewalDelayMs(86_399_000, 300));
    expect(Math.max(...delays)).toBeLessThanOrEqual(86_099_000);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(86_099_000 - 150_000);
    // 200 draws over a 150-second window: far more than a handful of distinct seconds.
    expect(new Set(delays.map((delay) => Math.floor(delay / 1_000))).size).toBeGreaterThan(50);
  });
});

describe('backoff', () => {
  it('starts within a second and doubles', () => {
    expect(backoffDelayMs(1, () => 0)).toBe(500);
    expect(backoffDelayMs(1, () => 1)).toBe(1_000);
    expect(backoffDelayMs(2, () => 1)).toBe(2_000);
    expect(backoffDelayMs(3, () => 1)).toBe(4_000);
  });

  it('is capped at a minute, however many failures', () => {
    expect(backoffDelayMs(7, () => 1)).toBe(60_000);
    expect(backoffDelayMs(500, () => 1)).toBe(60_000);
    expect(backoffDelayMs(500, () => 0)).toBe(30_000);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfterMs('5')).toBe(5_000);
    expect(parseRetryAfterMs(new Date(1_000_000 + 30_000).toUTCString(), 1_000_000)).toBe(30_000);
  });

  it('ignores absent or unreadable values and caps huge ones', () => {
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
    expect(parseRetryAfterMs('soon')).toBeUndefined();
    expect(parseRetryAfterMs('999999')).toBe(MAX_RETRY_AFTER_MS);
  });
});
