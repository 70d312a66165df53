import { describe, expect, it, jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RenewalTimer } from './renewal-timer.js';

describe('RenewalTimer', () => {
  it('takes a numbered name when another registration already holds the timeout name', () => {
    jest.useFakeTimers();
    try {
      const registry = new SchedulerRegistry();
      const first = new RenewalTimer(registry, 'enkash-auth:token-renewal');
      const second = new RenewalTimer(registry, 'enkash-auth:token-renewal');
      const fired: string[] = [];
      first.schedule(1_000, () => fired.push('first'));
      second.schedule(2_000, () => fired.push('second'));
      expect(registry.getTimeouts()).toEqual([
        'enkash-auth:token-renewal',
        'enkash-auth:token-renewal#2',
      ]);

      first.cancel();
      expect(registry.getTimeouts()).toEqual(['enkash-auth:token-renewal#2']);
      jest.advanceTimersByTime(2_000);
      expect(fired).toEqual(['second']);
      expect(registry.getTimeouts()).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });
});
