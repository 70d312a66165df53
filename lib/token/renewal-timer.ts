import type { SchedulerRegistry } from '@nestjs/schedule';
import { MAX_TIMER_DELAY_MS } from './renewal-policy.js';

/**
 * The one timer of the token engine (next renewal, or next retry), registered as a named timeout in
 * `@nestjs/schedule`'s `SchedulerRegistry` so that it shows up next to the host app's own jobs.
 *
 * Delays beyond what `setTimeout` can hold (2^31−1 ms) are chained, and the due time is checked on a monotonic clock
 * when the timer fires: a long or early-firing timer never runs the task before it is due.
 */
export class RenewalTimer {
  private dueAtMs: number | null = null;
  private dueAtEpochMs: number | null = null;
  private registered: { name: string; handle: NodeJS.Timeout } | null = null;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly name: string,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** When the task is due, on the wall clock, or `null` when nothing is scheduled. */
  get dueAt(): Date | null {
    return this.dueAtEpochMs === null ? null : new Date(this.dueAtEpochMs);
  }

  /** Runs `task` once after `delayMs`, replacing whatever was scheduled. */
  schedule(delayMs: number, task: () => void): void {
    this.cancel();
    const safeDelayMs = Math.max(0, delayMs);
    this.dueAtMs = this.now() + safeDelayMs;
    this.dueAtEpochMs = Date.now() + safeDelayMs;
    this.arm(task);
  }

  /** Clears the scheduled task, if any. */
  cancel(): void {
    this.dueAtMs = null;
    this.dueAtEpochMs = null;
    this.unregister();
  }

  private arm(task: () => void): void {
    const dueAtMs = this.dueAtMs;
    if (dueAtMs === null) return;
    const remainingMs = Math.max(0, dueAtMs - this.now());
    const handle = setTimeout(
      () => {
        this.unregister();
        if (this.dueAtMs !== dueAtMs) return;
        if (this.now() < dueAtMs) {
          this.arm(task);
          return;
        }
        this.dueAtMs = null;
        this.dueAtEpochMs = null;
        task();
      },
      Math.min(remainingMs, MAX_TIMER_DELAY_MS),
    );
    // A library's background timer must never be what keeps a process alive.
    handle.unref();
    const name = this.freeName();
    this.registry.addTimeout(name, handle);
    this.registered = { name, handle };
  }

  /** The configured name, or a numbered variant when another registration already holds it in the same registry. */
  private freeName(): string {
    let name = this.name;
    for (let suffix = 2; this.registry.doesExist('timeout', name); suffix += 1)
      name = `${this.name}#${suffix}`;
    return name;
  }

  private unregister(): void {
    const registered = this.registered;
    this.registered = null;
    if (registered === null) return;
    clearTimeout(registered.handle);
    // The host's ScheduleModule may already have cleared every registered timeout at shutdown.
    if (
      this.registry.doesExist('timeout', registered.name) &&
      this.registry.getTimeout(registered.name) === registered.handle
    ) {
      this.registry.deleteTimeout(registered.name);
    }
  }
}
