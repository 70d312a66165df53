import { describe, expect, it, jest } from '@jest/globals';
import { ShutdownSignal } from './shutdown-signal.js';

describe('ShutdownSignal', () => {
  it('calls every abort listener once, with an abort event, when aborted', () => {
    const signal = new ShutdownSignal();
    const first = jest.fn();
    const second = jest.fn();
    signal.addEventListener('abort', first);
    signal.addEventListener('abort', second);
    signal.abort();
    signal.abort();
    expect(signal.aborted).toBe(true);
    expect(first).toHaveBeenCalledTimes(1);
    expect(first).toHaveBeenCalledWith({ type: 'abort', target: signal });
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('never calls a listener that was removed, nor one added after the abort', () => {
    const signal = new ShutdownSignal();
    const removed = jest.fn();
    signal.addEventListener('abort', removed);
    signal.removeEventListener('abort', removed);
    signal.abort();
    const late = jest.fn();
    signal.addEventListener('abort', late);
    signal.abort();
    expect(removed).not.toHaveBeenCalled();
    expect(late).not.toHaveBeenCalled();
  });
});
