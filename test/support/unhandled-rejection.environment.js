// The jest test environment of every suite: Node's, plus a process-level `unhandledRejection` hook that fails the
// suite when any rejection goes unhandled, including one that fires after the suite's last test, when jest's own
// per-test handler is no longer installed (a background token renewal failing after `app.close()`, say).
import { TestEnvironment } from 'jest-environment-node';

/** How long the environment waits, after the last test, for late rejections to surface. */
const LATE_REJECTION_GRACE_MS = 50;

export default class UnhandledRejectionEnvironment extends TestEnvironment {
  /** Rejected promises nobody handled, with a line describing each. @type {Map<Promise<unknown>, string>} */
  unhandledRejections = new Map();

  /** @param {unknown} reason @param {Promise<unknown>} promise */
  recordRejection = (reason, promise) => {
    const text = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    this.unhandledRejections.set(promise, text);
  };

  /** A handler attached late (on a later tick) makes it handled after all. @param {Promise<unknown>} promise */
  forgetRejection = (promise) => {
    this.unhandledRejections.delete(promise);
  };

  async setup() {
    await super.setup();
    // The real process: `process` inside the suite is a copy whose listeners never hear of the real one's events.
    process.on('unhandledRejection', this.recordRejection);
    process.on('rejectionHandled', this.forgetRejection);
  }

  /** While a test runs, jest-circus replaces every process listener with its own and reports rejections here. */
  handleTestEvent(event) {
    if (event.name === 'error' && event.promise !== undefined) {
      this.recordRejection(event.error, event.promise);
    } else if (event.name === 'error_handled') {
      this.forgetRejection(event.promise);
    }
  }

  async teardown() {
    await new Promise((resolve) => setTimeout(resolve, LATE_REJECTION_GRACE_MS));
    process.off('unhandledRejection', this.recordRejection);
    process.off('rejectionHandled', this.forgetRejection);
    await super.teardown();
    if (this.unhandledRejections.size > 0) {
      throw new Error(
        `${this.unhandledRejections.size} unhandled promise rejection(s) during this suite: ` +
          [...this.unhandledRejections.values()].join('; '),
      );
    }
  }
}
