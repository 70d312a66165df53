// Case 1: a one-off blip of the token endpoint at a cold start. A burst of callers finds no token; the first token
// request meets one transient fault and the very next request would succeed. How many callers fail for it?
import { EnkashAuthService, EnkashHttpService } from '../../../lib/index.js';
import type { EnkashSimulatorFault } from '../../../lib/testing/index.js';
import { SwitchableProxy } from '../../../test/support/switchable-proxy.js';
import type { BenchSizes } from '../../bench-sizes.js';
import { bootWith } from '../../support/boot.js';
import { BALANCE_PATH } from '../../support/enkash-paths.js';
import { RemoteSimulator } from '../../support/remote-simulator.js';
import { byCode, errorKey, LogTally, seconds, tally } from './case-row.js';
import type { CaseResult, CaseRow } from './case-row.js';

/** `tokenRequestTimeoutMs` of these runs, as in the fault matrix: a hung token request gives up after this long. */
export const TOKEN_TIMEOUT_MS = 400;
/** `Retry-After` of the 429, as in the fault matrix. */
const RETRY_AFTER_SECONDS = 2;
/** A refused connection is "once": the proxy listens again when the engine reports the failure, or after this. */
const REFUSED_FOR_AT_MOST_MS = 250;
/** How long to wait, after the callers, for the engine to hold a token. */
const RECOVERY_LIMIT_MS = 8_000;

/** One transient fault of the token endpoint, for the next token request only. */
interface Blip {
  readonly name: string;
  /** The simulator's fault; none for the refused connection, which the proxy makes. */
  readonly fault?: EnkashSimulatorFault;
}

const BLIPS: readonly Blip[] = [
  { name: '500', fault: { kind: 'server-error' } },
  { name: '502 HTML page', fault: { kind: 'bad-gateway-html' } },
  { name: 'malformed JSON', fault: { kind: 'malformed-json' } },
  { name: '200 without a token', fault: { kind: 'no-access-token' } },
  { name: `hang past tokenRequestTimeoutMs (${TOKEN_TIMEOUT_MS} ms)`, fault: { kind: 'hang' } },
  { name: 'connection refused once' },
  {
    name: `429 with Retry-After: ${RETRY_AFTER_SECONDS}`,
    fault: { kind: 'rate-limited', retryAfterSeconds: RETRY_AFTER_SECONDS },
  },
];

/** What one call came to, and when it settled. */
interface Settled {
  error: string | undefined;
  endedAt: number;
}

async function settle(call: Promise<unknown>): Promise<Settled> {
  try {
    await call;
    return { error: undefined, endedAt: performance.now() };
  } catch (error) {
    return { error: errorKey(error), endedAt: performance.now() };
  }
}

/** Polls until the engine holds a token; how long after `sinceMs` it did, or `undefined` past the limit. */
async function tokenHeldAfter(
  auth: EnkashAuthService,
  sinceMs: number,
): Promise<number | undefined> {
  while (performance.now() - sinceMs < RECOVERY_LIMIT_MS) {
    if (auth.getCachedAccessToken() !== undefined) return performance.now() - sinceMs;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return undefined;
}

async function measureBlip(
  blip: Blip,
  simulator: RemoteSimulator,
  proxy: SwitchableProxy,
  sizes: BenchSizes['callerFailures'],
): Promise<CaseRow> {
  await simulator.clearFaults();
  await simulator.resetStats();
  const logs = new LogTally();
  const app = await bootWith(
    {
      baseUrl: proxy.url,
      ...simulator.credentials,
      acquireOnStartup: false,
      tokenRequestTimeoutMs: TOKEN_TIMEOUT_MS,
    },
    logs,
  );
  const failedTokenRequests: Record<string, number> = {};
  let fallback: NodeJS.Timeout | undefined;
  let reopened: Promise<void> | undefined;
  const reopen = (): Promise<void> => (reopened ??= proxy.up());
  try {
    const auth = app.get(EnkashAuthService);
    const enkash = app.get(EnkashHttpService);
    const subscription = auth.events$.subscribe((event) => {
      if (event.type !== 'failed') return;
      tally(failedTokenRequests, event.errorCode);
      void reopen();
    });
    if (blip.fault === undefined) {
      proxy.down();
      fallback = setTimeout(() => void reopen(), REFUSED_FOR_AT_MOST_MS);
    } else {
      await simulator.injectFault(blip.fault);
    }
    const call = (): Promise<Settled> => settle(enkash.axiosRef.get(BALANCE_PATH));
    const startedAt = performance.now();
    const burst = Array.from({ length: sizes.burstCallers }, call);
    // A few more callers right after the first one got its answer, whatever it was.
    await Promise.race(burst);
    const followers = Array.from({ length: sizes.followers }, call);
    const outcomes = await Promise.all([...burst, ...followers]);
    const heldAfterMs = await tokenHeldAfter(auth, startedAt);
    subscription.unsubscribe();
    const stats = await simulator.stats();

    const failures: Record<string, number> = {};
    for (const outcome of outcomes) if (outcome.error !== undefined) tally(failures, outcome.error);
    const failed = outcomes.filter((outcome) => outcome.error !== undefined);
    const lastAnswerMs = Math.max(...outcomes.map((outcome) => outcome.endedAt)) - startedAt;
    const notes = [
      `failed token requests: ${byCode(failedTokenRequests)}`,
      failed.length === 0
        ? `every caller served within ${seconds(lastAnswerMs)}`
        : `callers got ${byCode(failures)}, the last within ${seconds(lastAnswerMs)}`,
      heldAfterMs === undefined
        ? `no token held ${seconds(RECOVERY_LIMIT_MS)} after the first call`
        : `a token held ${seconds(heldAfterMs)} after the first call`,
    ];
    return {
      label: `1. cold-start blip: ${blip.name}`,
      calls: outcomes.length,
      failedCalls: failed.length,
      passwordGrants: stats.passwordGrants,
      refreshGrants: stats.refreshGrants,
      notes,
    };
  } finally {
    clearTimeout(fallback);
    await app.close();
    await reopen();
  }
}

/** Case 1, once per blip: a fresh application each time, against one simulator behind one proxy. */
export async function measureColdStartBlips(
  sizes: BenchSizes['callerFailures'],
): Promise<CaseResult> {
  const simulator = await RemoteSimulator.start();
  try {
    const proxy = await SwitchableProxy.start(Number(new URL(simulator.url).port));
    try {
      const rows: CaseRow[] = [];
      for (const blip of BLIPS) rows.push(await measureBlip(blip, simulator, proxy, sizes));
      const failed = rows.reduce((sum, row) => sum + row.failedCalls, 0);
      const calls = rows.reduce((sum, row) => sum + row.calls, 0);
      const target = {
        goal: 'a one-off blip of the token endpoint at a cold start fails no call',
        measured: `${failed} failed of ${calls} calls, over ${rows.length} blips`,
        met: failed === 0,
      };
      return { rows, targets: [target] };
    } finally {
      await proxy.close();
    }
  } finally {
    await simulator.close();
  }
}
