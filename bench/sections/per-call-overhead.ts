// 1. What the library adds to a call with a cached token: the same GET, the same server, the same concurrency,
// through EnkashHttpService and through what an integrator would write with a fixed Authorization header.
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { firstValueFrom } from 'rxjs';
import { EnkashAuthService, EnkashHttpService } from '../../lib/index.js';
import type { BenchSizes } from '../bench-sizes.js';
import { withBootedApp } from '../support/boot.js';
import { BALANCE_PATH } from '../support/enkash-paths.js';
import { failedCalls, latencies, quantile, runLoad } from '../support/load.js';
import type { LoadResult } from '../support/load.js';
import { count, ms } from '../support/report.js';
import type { SectionResult } from '../support/report.js';

const TARGET_RATIO = 0.97;

/**
 * Calls per chunk. The two sides of a comparison run in alternating chunks this small, so that both meet the same
 * moments of a shared machine: with long runs, a noisy neighbour's burst lands on one side only.
 */
const CHUNK_CALLS = 500;

/** One way of making the call, and what its chunks came to. */
interface Variant {
  readonly label: string;
  readonly call: () => Promise<unknown>;
  readonly chunks: LoadResult[];
}

/** A baseline and the variant compared with it. */
interface Comparison {
  readonly baseline: Variant;
  readonly compared: Variant;
  /** Whether the comparison checks a target (the control pair does not). */
  readonly checked: boolean;
}

function variant(label: string, call: () => Promise<unknown>): Variant {
  return { label, call, chunks: [] };
}

const elapsedMs = (v: Variant, from = 0, to = v.chunks.length): number =>
  v.chunks.slice(from, to).reduce((sum, chunk) => sum + chunk.elapsedMs, 0);
const callCount = (v: Variant): number =>
  v.chunks.reduce((sum, chunk) => sum + chunk.samples.length, 0);
const callsPerSecond = (v: Variant): number => (callCount(v) * 1000) / elapsedMs(v);
const latency = (v: Variant, fraction: number): number =>
  quantile(
    v.chunks.flatMap((chunk) => latencies(chunk.samples)),
    fraction,
  );
/** CPU time of this process per call: what the client's own work costs, whatever the machine's noise does to time. */
const cpuPerCall = (v: Variant): number =>
  v.chunks.reduce((sum, chunk) => sum + chunk.cpuMicros, 0) / callCount(v);
const failures = (v: Variant): number =>
  v.chunks.reduce((sum, chunk) => sum + failedCalls(chunk.failures), 0);

/** Throughput of `compared` over `baseline`'s: the same calls, so the ratio of the times they took. */
const ratio = ({ baseline, compared }: Comparison, from?: number, to?: number): number =>
  elapsedMs(baseline, from, to) / elapsedMs(compared, from, to);

export async function measurePerCallOverhead(
  sizes: BenchSizes['overhead'],
): Promise<SectionResult> {
  return withBootedApp(async (app, simulator) => {
    const enkash = app.get(EnkashHttpService);
    const token = await app.get(EnkashAuthService).getAccessToken();
    // What an integrator writes without the library: one axios instance, the header fixed on it...
    const byHand = () =>
      axios.create({ baseURL: simulator.url, headers: { Authorization: `Bearer ${token}` } });
    const plainAxios = byHand();
    // ...and, in a Nest app, @nestjs/axios's HttpService over it (what HttpModule.register provides).
    const nestHttp = new HttpService(plainAxios);
    const twin = byHand();
    const comparisons: Comparison[] = [
      {
        baseline: variant('@nestjs/axios HttpService, header set by hand', () =>
          firstValueFrom(nestHttp.get(BALANCE_PATH)),
        ),
        compared: variant('EnkashHttpService (Observable)', () =>
          firstValueFrom(enkash.get(BALANCE_PATH)),
        ),
        checked: true,
      },
      {
        baseline: variant('axios instance, header set by hand', () => plainAxios.get(BALANCE_PATH)),
        compared: variant('EnkashHttpService.axiosRef', () => enkash.axiosRef.get(BALANCE_PATH)),
        checked: true,
      },
      {
        baseline: variant('control: axios instance, header set by hand', () =>
          plainAxios.get(BALANCE_PATH),
        ),
        compared: variant('control: an identical second axios instance', () =>
          twin.get(BALANCE_PATH),
        ),
        checked: false,
      },
    ];
    for (const { baseline, compared } of comparisons) {
      for (const side of [baseline, compared]) {
        await runLoad(sizes.concurrency, { calls: sizes.warmUpCalls }, side.call);
      }
    }
    const chunksPerRound = Math.max(1, Math.round(sizes.calls / CHUNK_CALLS));
    for (let round = 0; round < sizes.rounds; round += 1) {
      for (const { baseline, compared } of comparisons) {
        for (let chunk = 0; chunk < chunksPerRound; chunk += 1) {
          const sides = chunk % 2 === 0 ? [baseline, compared] : [compared, baseline];
          for (const side of sides) {
            side.chunks.push(await runLoad(sizes.concurrency, { calls: CHUNK_CALLS }, side.call));
          }
        }
        // The simulator logs every call: emptied between rounds, so that it never slows down.
        await simulator.resetStats();
      }
    }
    const roundRatios = (comparison: Comparison): number[] =>
      Array.from({ length: sizes.rounds }, (_, round) =>
        ratio(comparison, round * chunksPerRound, (round + 1) * chunksPerRound),
      );
    const spread = (comparison: Comparison): string => {
      const ratios = roundRatios(comparison);
      return ratios.length < 2
        ? ''
        : ` (rounds ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`;
    };
    const row = (v: Variant, ratioCell: string): string[] => [
      v.label,
      count(callsPerSecond(v)),
      ms(latency(v, 0.5)),
      ms(latency(v, 0.99)),
      `${cpuPerCall(v).toFixed(0)} µs`,
      count(failures(v)),
      ratioCell,
    ];
    return {
      title: '1. Per-call overhead',
      setup:
        `The same GET (${BALANCE_PATH}) against the simulator in its own process, ${sizes.concurrency} concurrent ` +
        `callers, a cached token; ${count(sizes.warmUpCalls)} warm-up calls per variant, then ${sizes.rounds} ` +
        `round(s) of ${count(chunksPerRound * CHUNK_CALLS)} calls per variant, run in chunks of ${CHUNK_CALLS} that ` +
        "alternate between the two sides of a comparison. Ratio: throughput over the baseline's, over all rounds. " +
        "The control compares the baseline with an identical copy of itself: what this machine's noise alone shows. " +
        "CPU per call: this process's CPU time (every thread) over the calls.",
      header: [
        'client',
        'calls/s',
        'p50',
        'p99',
        'CPU per call',
        'failed calls',
        'throughput ratio',
      ],
      rows: comparisons.flatMap((comparison) => [
        row(comparison.baseline, '1 (baseline)'),
        row(comparison.compared, `${ratio(comparison).toFixed(3)}${spread(comparison)}`),
      ]),
      targets: comparisons
        .filter((comparison) => comparison.checked)
        .map((comparison) => ({
          goal: `${comparison.compared.label}: throughput ≥ ${TARGET_RATIO} × ${comparison.baseline.label}`,
          measured: `${ratio(comparison).toFixed(3)} (${count(callCount(comparison.compared))} calls)`,
          met: ratio(comparison) >= TARGET_RATIO && failures(comparison.compared) === 0,
        })),
    };
  });
}
