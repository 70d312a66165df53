// 4. Short-lived tokens under steady load: whether callers ever see a renewal, side by side with a reactive
// 401-driven refresher (axios-auth-refresh) and with a client that fetches a token per call.
import type { LoggerService } from '@nestjs/common';
import { EnkashAuthService, EnkashHttpService } from '../../lib/index.js';
import type { BenchSizes } from '../bench-sizes.js';
import { ReactiveRefreshClient } from '../clients/reactive-refresh-client.js';
import type { RefreshWindow } from '../clients/reactive-refresh-client.js';
import { TokenPerCallClient } from '../clients/token-per-call-client.js';
import { bootAgainst } from '../support/boot.js';
import { failedCalls, latencies, quantile, runLoad, throughput } from '../support/load.js';
import type { CallSample, LoadResult } from '../support/load.js';
import { RemoteSimulator } from '../support/remote-simulator.js';
import { count, ms } from '../support/report.js';
import type { SectionResult } from '../support/report.js';
import { BALANCE_PATH } from '../support/enkash-paths.js';

/** p99 during renewals at most this share above p99 outside them. */
const P99_TOLERANCE = 0.1;

interface RenewalRun {
  label: string;
  load: LoadResult;
  tokenRequests: number;
  unauthorized: number;
  /** When renewals were under way; `undefined` for a client that has no renewals of its own. */
  windows: RefreshWindow[] | undefined;
}

/** Whether a call was under way at some point of a renewal. */
function duringAny(sample: CallSample, windows: readonly RefreshWindow[]): boolean {
  return windows.some(
    (window) => sample.startedAt < window.endedAt && sample.endedAt > window.startedAt,
  );
}

/**
 * Turns the library's log lines into renewal windows: a renewal starts when its timer is due (the status says when)
 * and ends with the "renewed" line. Timestamps on `performance.now()`'s clock, like the load's.
 */
class RenewalWatch implements LoggerService {
  readonly windows: RefreshWindow[] = [];
  auth: EnkashAuthService | undefined;
  private dueAt: number | undefined;
  private readonly wallClockOffset = Date.now() - performance.now();

  log(message: unknown): void {
    if (typeof message !== 'string' || !message.startsWith('Access token')) return;
    const now = performance.now();
    if (this.dueAt !== undefined && message.startsWith('Access token renewed')) {
      this.windows.push({ startedAt: Math.min(this.dueAt, now), endedAt: now });
    }
    const next = this.auth?.getStatus().nextRenewalAt;
    this.dueAt = next == null ? undefined : next.getTime() - this.wallClockOffset;
  }

  error(): void {}
  warn(): void {}
}

async function withSimulator(
  tokenLifetimeSeconds: number,
  run: (simulator: RemoteSimulator) => Promise<Omit<RenewalRun, 'tokenRequests' | 'unauthorized'>>,
): Promise<RenewalRun> {
  const simulator = await RemoteSimulator.start();
  try {
    await simulator.setTokenLifetime(tokenLifetimeSeconds);
    const result = await run(simulator);
    const stats = await simulator.stats();
    return {
      ...result,
      tokenRequests: stats.tokenRequests,
      unauthorized: stats.resourceUnauthorized,
    };
  } finally {
    await simulator.close();
  }
}

export async function measureRenewalsUnderLoad(
  sizes: BenchSizes['renewals'],
): Promise<SectionResult> {
  const { concurrency, durationMs, tokenLifetimeSeconds } = sizes;
  const runs: RenewalRun[] = [];

  runs.push(
    await withSimulator(tokenLifetimeSeconds, async (simulator) => {
      const watch = new RenewalWatch();
      const app = await bootAgainst(simulator, {}, watch);
      try {
        const auth = app.get(EnkashAuthService);
        watch.auth = auth;
        await auth.getAccessToken();
        const enkash = app.get(EnkashHttpService);
        await simulator.resetStats();
        // Promises, like the two alternatives: @nestjs/axios's Observables cost the same to both, and are left out.
        const load = await runLoad(concurrency, { durationMs }, () =>
          enkash.axiosRef.get(BALANCE_PATH),
        );
        return { label: 'EnkashHttpService.axiosRef', load, windows: watch.windows };
      } finally {
        await app.close();
      }
    }),
  );

  for (const deduplicateRefresh of [true, false]) {
    runs.push(
      await withSimulator(tokenLifetimeSeconds, async (simulator) => {
        const client = new ReactiveRefreshClient(
          simulator.url,
          simulator.credentials,
          deduplicateRefresh,
        );
        await client.logIn();
        await simulator.resetStats();
        const load = await runLoad(concurrency, { durationMs }, () =>
          client.http.get(BALANCE_PATH),
        );
        const label = `axios-auth-refresh, deduplicateRefresh: ${deduplicateRefresh}`;
        return { label, load, windows: client.refreshes };
      }),
    );
  }

  runs.push(
    await withSimulator(tokenLifetimeSeconds, async (simulator) => {
      const client = new TokenPerCallClient(simulator.url, simulator.credentials);
      await simulator.resetStats();
      const load = await runLoad(concurrency, { durationMs }, () => client.get(BALANCE_PATH));
      return { label: 'a token per call', load, windows: undefined };
    }),
  );

  const p99 = (samples: readonly CallSample[]) => quantile(latencies(samples), 0.99);
  /** Each run's calls, parted into those under way during one of its renewals and the others, in one pass. */
  const parted = runs.map((run) => {
    const windows = run.windows ?? [];
    const during: CallSample[] = [];
    const outside: CallSample[] = [];
    for (const sample of run.load.samples) {
      (duringAny(sample, windows) ? during : outside).push(sample);
    }
    return { run, during, outside };
  });
  const [ours] = parted;
  const duringP99 = p99(ours!.during);
  const outsideP99 = p99(ours!.outside);
  const failureNotes = runs
    .filter((run) => failedCalls(run.load.failures) > 0)
    .map((run) => `${run.label}: failed calls by error ${JSON.stringify(run.load.failures)}`);
  return {
    title: '4. Renewals under load',
    setup:
      `Tokens living ${tokenLifetimeSeconds} s, ${concurrency} callers calling continuously for ` +
      `${durationMs / 1000} s, each client against a simulator of its own in its own process. EnkashHttpService ` +
      'runs with its defaults (the renewal margin is clamped to half of such a short lifetime); axios-auth-refresh ' +
      'logs in first, then refreshes when EnKash answers 401, as its README shows, with its default ' +
      '`deduplicateRefresh: true` and with `false`. A call is "during a renewal" ' +
      'when it was under way at any moment between the renewal becoming due and the new token being held.',
    header: [
      'client',
      'calls',
      'token requests',
      '401s from EnKash',
      'failed calls',
      'renewals',
      'p99',
      'p99 during renewals (calls)',
      'p99 outside renewals',
    ],
    rows: parted.map(({ run, during, outside }) => [
      run.label,
      `${count(run.load.samples.length)} (${count(throughput(run.load))}/s)`,
      count(run.tokenRequests),
      count(run.unauthorized),
      count(failedCalls(run.load.failures)),
      run.windows === undefined ? '-' : count(run.windows.length),
      ms(p99(run.load.samples)),
      run.windows === undefined ? '-' : `${ms(p99(during))} (${count(during.length)})`,
      run.windows === undefined ? '-' : ms(p99(outside)),
    ]),
    targets: [
      {
        goal: 'no caller sees an error across renewals',
        measured: `${failedCalls(ours!.run.load.failures)} failed of ${count(ours!.run.load.samples.length)}`,
        met: failedCalls(ours!.run.load.failures) === 0,
      },
      {
        goal: `p99 during renewals within ${P99_TOLERANCE * 100}% of p99 outside them`,
        measured: `${ms(duringP99)} vs ${ms(outsideP99)} (${((duringP99 / outsideP99 - 1) * 100).toFixed(0)}%)`,
        met: duringP99 <= outsideP99 * (1 + P99_TOLERANCE),
      },
    ],
    notes: failureNotes,
  };
}
