// A closed-loop load: a fixed number of callers, each sending its next call as soon as the last one settled.

/** One call's outcome: when it started and ended (on `performance.now()`'s clock) and whether it failed. */
export interface CallSample {
  startedAt: number;
  endedAt: number;
  failed: boolean;
}

/** What a load run came to. */
export interface LoadResult {
  samples: CallSample[];
  /** Calls whose caller got an error, by `name:code`. */
  failures: Record<string, number>;
  elapsedMs: number;
  /** CPU time this process spent over the run (all threads), in microseconds. */
  cpuMicros: number;
}

/** How much load: a number of calls, or a duration. */
export type LoadSize = { calls: number } | { durationMs: number };

/** Runs `call` from `concurrency` callers until `size` is reached; never throws for a failed call. */
export async function runLoad(
  concurrency: number,
  size: LoadSize,
  call: () => Promise<unknown>,
): Promise<LoadResult> {
  const samples: CallSample[] = [];
  const failures: Record<string, number> = {};
  const startedAt = performance.now();
  const cpuAtStart = process.cpuUsage();
  const endAt = 'durationMs' in size ? startedAt + size.durationMs : Infinity;
  let remaining = 'calls' in size ? size.calls : Infinity;
  const caller = async (): Promise<void> => {
    while (remaining > 0 && performance.now() < endAt) {
      remaining -= 1;
      const sample: CallSample = { startedAt: performance.now(), endedAt: 0, failed: false };
      try {
        await call();
      } catch (error) {
        sample.failed = true;
        const code = `${(error as Error).name}:${String((error as { code?: unknown }).code)}`;
        failures[code] = (failures[code] ?? 0) + 1;
      }
      sample.endedAt = performance.now();
      samples.push(sample);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    samples,
    failures,
    elapsedMs: performance.now() - startedAt,
    cpuMicros: cpu.user + cpu.system,
  };
}

/** The `fraction` quantile (0.5, 0.99) of `values`, by nearest rank; `NaN` when there are none. */
export function quantile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Latencies of `samples`, in milliseconds. */
export function latencies(samples: readonly CallSample[]): number[] {
  return samples.map((sample) => sample.endedAt - sample.startedAt);
}

/** Calls per second over a run. */
export function throughput(result: LoadResult): number {
  return (result.samples.length * 1000) / result.elapsedMs;
}

/** How many calls failed, over all codes. */
export function failedCalls(failures: Record<string, number>): number {
  return Object.values(failures).reduce((sum, times) => sum + times, 0);
}
