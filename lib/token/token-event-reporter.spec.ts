import { describe, expect, it, jest } from '@jest/globals';
import type { TokenEngineEvent } from '../events/enkash-token-event.interface.js';
import {
  failedEvent,
  invalidatedEvent,
  obtainedEvent,
  TokenEventReporter,
} from './token-event-reporter.js';

describe('TokenEventReporter', () => {
  const expiresAt = new Date('2030-01-01T00:00:00Z');

  it('tells a renewal from an acquisition by whether a valid token was replaced', () => {
    const events: TokenEngineEvent[] = [];
    const reporter = new TokenEventReporter((event) => events.push(event), { warn: jest.fn() });
    reporter.report(obtainedEvent(false, 'password', 12, expiresAt, new Date()));
    reporter.report(obtainedEvent(true, 'store', 3, expiresAt, new Date()));
    expect(events).toEqual([
      {
        type: 'acquired',
        grant: 'password',
        durationMs: 12,
        expiresAt,
        errorCode: null,
        at: expect.any(Date),
      },
      {
        type: 'renewed',
        grant: 'store',
        durationMs: 3,
        expiresAt,
        errorCode: null,
        at: expect.any(Date),
      },
    ]);
  });

  it('logs a listener that throws, by its class only, and returns normally', () => {
    const warn = jest.fn();
    const reporter = new TokenEventReporter(
      () => {
        throw new TypeError('access-token-123 is not a function');
      },
      { warn },
    );
    expect(() =>
      reporter.report(failedEvent('refresh_token', 5, null, 'timeout', new Date())),
    ).not.toThrow();
    expect(() =>
      reporter.report(invalidatedEvent('password', expiresAt, new Date())),
    ).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0]?.[0]).toMatch(
      /^A listener of the EnKash token event failed threw TypeError;/,
    );
    expect(JSON.stringify(warn.mock.calls)).not.toContain('access-token-123');
  });
});
