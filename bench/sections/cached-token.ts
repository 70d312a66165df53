// 3. The hot path of every call: reading the cached token.
import { EnkashAuthService } from '../../lib/index.js';
import type { BenchSizes } from '../bench-sizes.js';
import { withBootedApp } from '../support/boot.js';
import { median } from '../support/load.js';
import { count } from '../support/report.js';
import type { SectionResult } from '../support/report.js';

const TARGET_PER_SECOND = 1_000_000;
const ROUNDS = 5;

/** Reads per second of `read`, a promise awaited before the next read: the median of a few rounds. */
async function rate(calls: number, read: () => unknown): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const startedAt = performance.now();
    for (let i = 0; i < calls; i += 1) {
      const value = read();
      if (value instanceof Promise) await value;
    }
    rounds.push((calls * 1000) / (performance.now() - startedAt));
  }
  return median(rounds);
}

export async function measureCachedToken(sizes: BenchSizes['cachedToken']): Promise<SectionResult> {
  return withBootedApp(async (app, simulator) => {
    const auth = app.get(EnkashAuthService);
    await auth.getAccessToken();
    const calls = Math.ceil(sizes.calls / ROUNDS);
    await rate(calls, () => auth.getAccessToken()); // warm-up, for the JIT
    const asynchronous = await rate(calls, () => auth.getAccessToken());
    const synchronous = await rate(calls, () => auth.getCachedAccessToken());
    const { tokenRequests } = await simulator.stats();
    return {
      title: '3. Cached token',
      setup:
        `${count(calls)} sequential reads per round, ${ROUNDS} rounds (median), a valid token held; ` +
        '`getAccessToken()` is awaited before the next read, `getCachedAccessToken()` answers without a promise.',
      header: ['read', 'reads/s', 'token requests'],
      rows: [
        ['await getAccessToken()', count(asynchronous), count(tokenRequests)],
        ['getCachedAccessToken()', count(synchronous), '(same run)'],
      ],
      targets: [
        {
          goal: `getAccessToken() ≥ ${count(TARGET_PER_SECOND)}/s on a warm cache`,
          measured: `${count(asynchronous)}/s`,
          met: asynchronous >= TARGET_PER_SECOND,
        },
      ],
    };
  });
}
