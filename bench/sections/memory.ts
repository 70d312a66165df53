// 5. Whether anything accumulates: the heap after many calls and many renewals, against the heap before them.
import { firstValueFrom } from 'rxjs';
import { EnkashAuthService, EnkashHttpService } from '../../lib/index.js';
import type { BenchSizes } from '../bench-sizes.js';
import { withBootedApp } from '../support/boot.js';
import { failedCalls, runLoad } from '../support/load.js';
import { count, megabytes } from '../support/report.js';
import type { SectionResult } from '../support/report.js';
import { BALANCE_PATH } from '../support/enkash-paths.js';

const TARGET_GROWTH_BYTES = 5 * 1024 * 1024;
const CONCURRENCY = 16;

/** The heap in use after full collections; needs `node --expose-gc`, which `npm run bench` passes. */
async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined)
    throw new Error('The memory section needs node --expose-gc (npm run bench passes it)');
  for (let i = 0; i < 3; i += 1) {
    gc();
    // Let finalizers and pending socket closes run between collections.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

export async function measureMemory(sizes: BenchSizes['memory']): Promise<SectionResult> {
  return withBootedApp(async (app, simulator) => {
    const auth = app.get(EnkashAuthService);
    const enkash = app.get(EnkashHttpService);
    const callsPerRenewal = Math.max(1, Math.round(sizes.calls / sizes.renewals));
    let failed = 0;
    /**
     * `renewals` times: a batch of calls, then a renewal with the refresh grant. Returns the refresh grants EnKash
     * received.
     */
    const cycle = async (renewals: number): Promise<number> => {
      for (let i = 0; i < renewals; i += 1) {
        const load = await runLoad(CONCURRENCY, { calls: callsPerRenewal }, () =>
          firstValueFrom(enkash.get(BALANCE_PATH)),
        );
        failed += failedCalls(load.failures);
        await auth.refresh();
      }
      const { refreshGrants } = await simulator.stats();
      // The simulator, in its own process, logs every call: emptied so that it never slows down.
      await simulator.resetStats();
      return refreshGrants;
    };
    await auth.getAccessToken();
    // A tenth of the work first: pools, caches and the JIT reach their steady size.
    await cycle(Math.max(1, Math.round(sizes.renewals / 10)));
    const before = await settledHeap();
    let refreshGrants = 0;
    for (let done = 0; done < sizes.renewals; done += 100) {
      refreshGrants += await cycle(Math.min(100, sizes.renewals - done));
    }
    const after = await settledHeap();
    const growth = after - before;
    const calls = callsPerRenewal * sizes.renewals;
    return {
      title: '5. Memory',
      setup:
        `${count(calls)} calls through EnkashHttpService (${CONCURRENCY} concurrent) and ${count(sizes.renewals)} ` +
        `renewals with the refresh grant, one after every ${count(callsPerRenewal)} calls, after a warm-up of a ` +
        'tenth of that; heap in use after full garbage collections, before and after. The simulator runs in its own ' +
        'process, so its logs are not counted.',
      header: ['heap before', 'heap after', 'growth', 'refresh grants', 'failed calls'],
      rows: [
        [
          megabytes(before),
          megabytes(after),
          megabytes(growth),
          count(refreshGrants),
          count(failed),
        ],
      ],
      targets: [
        {
          goal: `heap growth < ${megabytes(TARGET_GROWTH_BYTES)} after ${count(calls)} calls and ${count(sizes.renewals)} renewals`,
          measured: megabytes(growth),
          met: growth < TARGET_GROWTH_BYTES && failed === 0,
        },
      ],
    };
  });
}
