// What each case of the "failures a caller should never see" section comes to, and the small tools the cases share.
import type { LoggerService } from '@nestjs/common';
import type { CallSample } from '../../support/load.js';
import type { Target } from '../../support/report.js';

/** One row of the section's table. */
export interface CaseRow {
  /** e.g. `1. cold-start blip: 500`. */
  readonly label: string;
  readonly calls: number;
  readonly failedCalls: number;
  /** Token requests EnKash (or the OAuth2 server) received, by grant. */
  readonly passwordGrants: number;
  readonly refreshGrants: number;
  /** What else a reader needs: errors callers got, 401s/403s met, time to recover. */
  readonly notes: readonly string[];
  /** Longer remarks, printed under the table (e.g. the library's last warning). */
  readonly footnotes?: readonly string[];
}

/** What one case measured: its rows, and how they compare with what issue 18 asks. */
export interface CaseResult {
  readonly rows: readonly CaseRow[];
  readonly targets: readonly Target[];
}

/** `{ "EnkashAuthError:server_error": 25 }` → `EnkashAuthError:server_error ×25`; `none` when empty. */
export function byCode(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).filter(([, times]) => times > 0);
  if (entries.length === 0) return 'none';
  return entries.map(([code, times]) => `${code} ×${times}`).join(', ');
}

/** Adds one to `counts[key]`. */
export function tally(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** `name:code` of what a caller caught, as the bench's load runs count failures. */
export function errorKey(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const status = (error as { response?: { status?: unknown } } | undefined)?.response?.status;
  return `${name}:${String(code)}${typeof status === 'number' ? ` (HTTP ${status})` : ''}`;
}

/** Seconds with one decimal: `1234` → `1.2 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * When callers stopped failing after `sinceMs` (on `performance.now()`'s clock): from the first failed call to the
 * first success after the last failure, or that they were still failing when the run ended.
 */
export function recovery(samples: readonly CallSample[], sinceMs: number): string {
  const after = samples.filter((sample) => sample.endedAt >= sinceMs);
  const failed = after.filter((sample) => sample.failed);
  if (failed.length === 0) return 'no call failed';
  const firstFailure = Math.min(...failed.map((sample) => sample.endedAt));
  const lastFailure = Math.max(...failed.map((sample) => sample.endedAt));
  const healed = after
    .filter((sample) => !sample.failed && sample.startedAt > lastFailure)
    .map((sample) => sample.endedAt);
  if (healed.length === 0) {
    return (
      `calls failed from ${seconds(firstFailure - sinceMs)} on and were still failing when the run ended ` +
      `(${seconds(Math.max(...after.map((sample) => sample.endedAt)) - sinceMs)})`
    );
  }
  return `calls failed from ${seconds(firstFailure - sinceMs)} to ${seconds(lastFailure - sinceMs)}, then succeeded`;
}

/** The library's warnings and errors, with when they were logged (token values never reach a log line). */
export class LogTally implements LoggerService {
  readonly lines: { at: number; text: string }[] = [];

  log(): void {}
  warn(message: unknown): void {
    this.lines.push({ at: performance.now(), text: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ at: performance.now(), text: String(message) });
  }

  /** The last line logged, or `undefined`. */
  get last(): string | undefined {
    return this.lines.at(-1)?.text;
  }

  /** The lines logged after `sinceMs` (on `performance.now()`'s clock). */
  since(sinceMs: number): string[] {
    return this.lines.filter((line) => line.at >= sinceMs).map((line) => line.text);
  }
}
