// What a test leaves behind: sockets and timers opened since a moment and still open, for the specs that check a
// close() leaves nothing behind.
import { addedSince, liveResources } from './live-resources.js';

/**
 * Sockets (counted by Node) and timers (counted here) opened since this call and still open. Timers are counted by
 * wrapping this realm's setTimeout and setInterval, which ioredis and the library use, rather than with
 * `process.getActiveResourcesInfo()`: in a run of one file, jest's reporter arms a 100 ms timer of its own every
 * second in this very process, which would come and go between two counts.
 */
export function watchResources(): { added(): Record<string, number>; stop(): void } {
  const sockets = liveResources();
  const pending = new Map<NodeJS.Timeout, string>();
  const real = { setTimeout, clearTimeout, setInterval, clearInterval };
  const arm =
    (kind: 'setTimeout' | 'setInterval') =>
    (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): NodeJS.Timeout => {
      const timer: NodeJS.Timeout = real[kind](
        (...given: unknown[]) => {
          if (kind === 'setTimeout') pending.delete(timer);
          callback(...given);
        },
        ms,
        ...args,
      );
      pending.set(timer, `${kind}(${ms ?? 0} ms)`);
      return timer;
    };
  const disarm = (kind: 'clearTimeout' | 'clearInterval') => (timer?: NodeJS.Timeout) => {
    if (timer !== undefined) pending.delete(timer);
    real[kind](timer);
  };
  Object.assign(globalThis, {
    setTimeout: arm('setTimeout'),
    setInterval: arm('setInterval'),
    clearTimeout: disarm('clearTimeout'),
    clearInterval: disarm('clearInterval'),
  });
  const stop = (): void => {
    Object.assign(globalThis, real);
    if (watching === watcher) watching = undefined;
  };
  const watcher = {
    added: (): Record<string, number> => {
      const added = addedSince(sockets);
      for (const description of pending.values())
        added[description] = (added[description] ?? 0) + 1;
      return added;
    },
    stop,
  };
  watching = watcher;
  return watcher;
}

/** The resource watch of the running test. */
let watching: { stop(): void } | undefined;

/** Stops the running test's resource watch, if any: for afterEach, whatever the test did. */
export function stopWatchingResources(): void {
  watching?.stop();
}
