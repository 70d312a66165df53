import { describe, expect, it } from '@jest/globals';
import {
  backoffDelayMs,
  MAX_RETRY_AFTER_MS,
  parseRetryAfterMs,
  renewalDelayMs,
} from './renewal-policy.js';

describe('renewal timing', () => {
  it('renews refreshBeforeExpirySeconds before expiry', () => {
    expect(renewalDelayMs(86_399_000, 300)).toBe(86_099_000);
  });

  it('never takes more than half the lifetime as margin', () => {
    expect(renewalDelayMs(4_000, 300)).toBe(2_000);
    expect(renewalDelayMs(600_000, 300)).toBe(300_000);
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
