/** What both token stores share: argument checks and listener calls that must behave alike in each. */

/** Rejects a lock lifetime Redis would refuse (`PX` takes a whole number of milliseconds, at least 1). */
export function assertLockTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw new RangeError(
      `A renewal lock lives a whole number of milliseconds, at least 1 (got ${ttlMs})`,
    );
  }
}

/**
 * Calls a listener so that neither its exception nor its rejected promise (an `async` function is a valid
 * `() => void`) reaches the other listeners or becomes an unhandled rejection.
 */
export function callSafely(listener: () => void): void {
  try {
    const result: unknown = listener();
    // Any thenable, not only this realm's Promise.
    if (isThenable(result)) result.then(undefined, () => undefined);
  } catch {
    // A listener's failure is its own business: the other listeners must still hear of the write.
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
