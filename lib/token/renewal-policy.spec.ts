import { describe, expect, it } from '@jest/globals';
import {
  backoffDelayMs,
  MAX_RETRY_AFTER_MS,
  parseRetryAfterMs,
  renewalDelayMs,
} from './renewal-policy.js';

describe('renewal timing', () => {
  const noJitter = (): number => 0;
  const fullJitter = (): number => 1;

  it('renews refreshBeforeExpirySeconds before expiry', () => {
    expect(renewalDelayMs(86_399_000, 300, noJitter)).toBe(86_099_000);
  });

  it('never takes more than half the lifetime as margin', () => {
    expect(renewalDelayMs(4_000, 300, noJitter)).toBe(2_000);
    expect(renewalDelayMs(600_000, 300, noJitter)).toBe(300_000);
  });

  it('brings the renewal forward by up to half the margin, never later than the margin', () => {
    expect(renewalDelayMs(86_399_000, 300, fullJitter)).toBe(86_399_000 - 450_000);
    expect(renewalDelayMs(86_399_000, 300, () => 0.5)).toBe(86_399_000 - 375_000);
    expect(renewalDelayMs(4_000, 300, fullJitter)).toBe(1_000);
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
