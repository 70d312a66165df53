import type { GenericAbortSignal } from 'axios';

type AbortListener = (
  this: ShutdownSignal,
  event: { type: 'abort'; target: ShutdownSignal },
) => void;

/**
 * The signal a call without one of its own is sent with; aborted at shutdown. It has what axios asks of a signal
 * (`aborted`, and `addEventListener`/`removeEventListener` of `'abort'`), with its listeners in a `Set`: Node's
 * `AbortSignal` is an `EventTarget`, whose bookkeeping would cost each call microseconds for a listener that almost
 * never fires.
 */
export class ShutdownSignal implements GenericAbortSignal {
  /** Whether shutdown has begun. */
  aborted = false;
  private readonly listeners = new Set<AbortListener>();

  /** Adds an `'abort'` listener; other event types are never fired. */
  addEventListener(type: string, listener: AbortListener): void {
    if (type === 'abort' && !this.aborted) this.listeners.add(listener);
  }

  /** Removes an `'abort'` listener. */
  removeEventListener(type: string, listener: AbortListener): void {
    if (type === 'abort') this.listeners.delete(listener);
  }

  /** How many listeners wait on it: one per call in flight, none once every call has ended. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Fires every listener once, as an `AbortSignal` would; idempotent. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const event = { type: 'abort', target: this } as const;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener.call(this, event);
  }
}
