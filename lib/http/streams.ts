/** A Node stream as axios hands one over (a request body, or a `responseType: 'stream'` answer). */
export interface StreamLike {
  pipe: (...args: never[]) => unknown;
  destroy?: () => void;
}

/** Whether `value` is a stream: it can be read once only, and holds a socket until destroyed. */
export function isStream(value: unknown): value is StreamLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { pipe?: unknown }).pipe === 'function'
  );
}
