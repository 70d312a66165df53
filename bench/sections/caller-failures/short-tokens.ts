// Case 4: short tokens under load, with the default renewal margin: how many token requests each lifetime costs.
import { EnkashHttpService } from '../../../lib/index.js';
import type { BenchSizes } from '../../bench-sizes.js';
import { bootAgainst } from '../../support/boot.js';
import { BALANCE_PATH } from '../../support/enkash-paths.js';
import { failedCalls, runLoad } from '../../support/load.js';
import { RemoteSimulator } from '../../support/remote-simulator.js';
import { byCode, seconds } from './case-row.js';
import type { CaseResult, CaseRow } from './case-row.js';
import type { Target } from '../../support/report.js';

/** Concurrent callers. */
const CALLERS = 8;

/** Issue 18's bound for the soak's 2.5 s tokens: token requests per lifetime. */
const MOST_PER_LIFETIME_2_5_S = 2;

/** One run: tokens of `lifetimeSeconds`, callers calling for `durationMs` from a cold start. */
async function shortTokenRun(
  lifetimeSeconds: number,
  durationMs: number,
): Promise<{ row: CaseRow; perLifetime: number }> {
  const simulator = await RemoteSimulator.start();
  try {
    await simulator.setTokenLifetime(lifetimeSeconds);
    const app = await bootAgainst(simulator, { acquireOnStartup: false });
    try {
      const enkash = app.get(EnkashHttpService);
      const load = await runLoad(CALLERS, { durationMs }, () => enkash.axiosRef.get(BALANCE_PATH));
      const stats = await simulator.stats();
      const requests = await simulator.tokenRequestTimes();
      const gaps = requests
        .slice(1)
        .map((request, index) => request.receivedAt - requests[index]!.receivedAt);
      const lifetimes = load.elapsedMs / 1_000 / lifetimeSeconds;
      const perLifetime = (stats.passwordGrants + stats.refreshGrants) / lifetimes;
      const row = {
        label: `4. ${lifetimeSeconds} s tokens, ${CALLERS} callers for ${seconds(load.elapsedMs)}`,
        calls: load.samples.length,
        failedCalls: failedCalls(load.failures),
        passwordGrants: stats.passwordGrants,
        refreshGrants: stats.refreshGrants,
        notes: [
          `${perLifetime.toFixed(2)} token requests per lifetime (${lifetimes.toFixed(1)} lifetimes, the first ` +
            `login included)`,
          gaps.length === 0
            ? 'no renewal'
            : `token requests ${seconds(Math.min(...gaps))} to ${seconds(Math.max(...gaps))} apart`,
          `401s met: ${stats.resourceUnauthorized}; callers got ${byCode(load.failures)}`,
        ],
      };
      return { row, perLifetime };
    } finally {
      await app.close();
    }
  } finally {
    await simulator.close();
  }
}

/** Case 4, once per lifetime of the sizes. */
export async function measureShortTokens(sizes: BenchSizes['callerFailures']): Promise<CaseResult> {
  const rows: CaseRow[] = [];
  const targets: Target[] = [];
  for (const { lifetimeSeconds, durationMs } of sizes.shortTokens) {
    const { row, perLifetime } = await shortTokenRun(lifetimeSeconds, durationMs);
    rows.push(row);
    if (lifetimeSeconds !== 2.5) continue;
    targets.push({
      goal: `2.5 s tokens cost ≤ ${MOST_PER_LIFETIME_2_5_S} token requests per lifetime`,
      measured: perLifetime.toFixed(2),
      met: perLifetime <= MOST_PER_LIFETIME_2_5_S,
    });
  }
  return { rows, targets };
}
