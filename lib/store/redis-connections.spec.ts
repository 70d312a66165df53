import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { RedisConnection } from './redis-connections.js';
import { sendWithin } from './redis-connections.js';

// How long one store operation may take: its own timeout, and, while the client makes its first connection, also as
// long as that connection may take (a deploy that boots many replicas at once connects slowly).

/** A client whose connection status the test sets, and which answers every command at once. */
function clientIn(status: string): EventEmitter & { status: string } {
  return Object.assign(new EventEmitter(), { status });
}

function settled(promise: Promise<unknown>): { done: boolean; error?: unknown } {
  const outcome: { done: boolean; error?: unknown } = { done: false };
  promise.then(
    () => (outcome.done = true),
    (error: unknown) => Object.assign(outcome, { done: true, error }),
  );
  return outcome;
}

describe('sendWithin', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('waits for a first connection longer than the operation timeout, and then sends', async () => {
    const client = clientIn('connecting');
    const sent = settled(
      sendWithin(client as unknown as RedisConnection, 'get', 500, () => Promise.resolve('ok')),
    );
    await jest.advanceTimersByTimeAsync(1_500);
    expect(sent.done).toBe(false);
    client.status = 'ready';
    client.emit('ready');
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual({ done: true });
  });

  it('gives a first connection four operation timeouts at most', async () => {
    const client = clientIn('connecting');
    const sent = settled(
      sendWithin(client as unknown as RedisConnection, 'get', 500, () => Promise.resolve('ok')),
    );
    await jest.advanceTimersByTimeAsync(2_499);
    expect(sent.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(String(sent.error)).toContain('within 2500 ms');
  });

  it('waits no longer than the operation timeout for a reconnection', async () => {
    const client = clientIn('ready');
    await sendWithin(client as unknown as RedisConnection, 'get', 500, () => Promise.resolve('ok'));
    client.status = 'connecting';
    const sent = settled(
      sendWithin(client as unknown as RedisConnection, 'get', 500, () => Promise.resolve('ok')),
    );
    await jest.advanceTimersByTimeAsync(500);
    expect(String(sent.error)).toContain('within 500 ms');
  });
});
