// Case 3: a resource server that answers a refused token with 403 and `WWW-Authenticate: Bearer
// error="invalid_token"` instead of 401; and a plain 403, a permission error that must stay the caller's.
import type { INestApplicationContext } from '@nestjs/common';
import { EnkashAuthService, EnkashHttpService } from '../../../lib/index.js';
import type { BenchSizes } from '../../bench-sizes.js';
import { bootWith } from '../../support/boot.js';
import { BALANCE_PATH } from '../../support/enkash-paths.js';
import { ForbiddingProxy } from '../../../test/support/forbidding-proxy.js';
import { failedCalls, runLoad } from '../../support/load.js';
import { RemoteSimulator } from '../../support/remote-simulator.js';
import { byCode, recovery, seconds } from './case-row.js';
import type { CaseResult, CaseRow } from './case-row.js';

/** Concurrent callers. */
const CALLERS = 4;
/** Calls run this long with the token held before EnKash revokes it. */
const BEFORE_REVOCATION_MS = 1_000;
/** Plain 403s the resource answers, whatever the token. */
const PLAIN_403S = 5;
/** EnKash's own words for a product the client may not use. */
const APIS_NOT_ENABLED = '{"response_code":403,"response_message":"APIs not enabled"}';

/**
 * A simulator with a {@link ForbiddingProxy} in front and an application pointed at the proxy, holding a token of
 * EnKash's default lifetime (a day: it never expires during the run); the counters start after that first token.
 */
async function withForbiddingServer(
  measure: (
    app: INestApplicationContext,
    simulator: RemoteSimulator,
    proxy: ForbiddingProxy,
  ) => Promise<CaseRow>,
): Promise<CaseRow> {
  const simulator = await RemoteSimulator.start();
  try {
    const proxy = await ForbiddingProxy.start(Number(new URL(simulator.url).port));
    try {
      const options = { baseUrl: proxy.url, ...simulator.credentials, acquireOnStartup: false };
      const app = await bootWith(options);
      try {
        await app.get(EnkashAuthService).getAccessToken();
        await simulator.resetStats();
        return await measure(app, simulator, proxy);
      } finally {
        await app.close();
      }
    } finally {
      await proxy.close();
    }
  } finally {
    await simulator.close();
  }
}

/** Callers run on; EnKash revokes the held token; the resource answers it with 403 `invalid_token`. */
function revokedTokenAnswered403(durationMs: number): Promise<CaseRow> {
  return withForbiddingServer(async (app, simulator, proxy) => {
    const enkash = app.get(EnkashHttpService);
    let revokedAt = Number.POSITIVE_INFINITY;
    const revocation = new Promise<void>((resolve) =>
      setTimeout(() => {
        revokedAt = performance.now();
        void simulator.revokeAccessToken().then(resolve, resolve);
      }, BEFORE_REVOCATION_MS),
    );
    const load = await runLoad(CALLERS, { durationMs }, () => enkash.axiosRef.get(BALANCE_PATH));
    await revocation;
    const stats = await simulator.stats();
    return {
      label: '3. 403 + WWW-Authenticate: Bearer error="invalid_token" for a revoked token',
      calls: load.samples.length,
      failedCalls: failedCalls(load.failures),
      passwordGrants: stats.passwordGrants,
      refreshGrants: stats.refreshGrants,
      notes: [
        `token revoked ${seconds(BEFORE_REVOCATION_MS)} into a ${seconds(durationMs)} run; 403s met: ` +
          `${proxy.forbidden}; ${recovery(load.samples, revokedAt)}`,
        `callers got ${byCode(load.failures)}`,
      ],
    };
  });
}

/** Callers run on with a valid token; the resource answers a few calls with a plain 403 (a permission error). */
function plain403(durationMs: number): Promise<CaseRow> {
  return withForbiddingServer(async (app, simulator) => {
    const enkash = app.get(EnkashHttpService);
    await simulator.injectResourceFault(
      {
        kind: 'status',
        status: 403,
        body: APIS_NOT_ENABLED,
        headers: { 'Content-Type': 'application/json' },
      },
      { times: PLAIN_403S, path: BALANCE_PATH },
    );
    const load = await runLoad(CALLERS, { durationMs }, () => enkash.axiosRef.get(BALANCE_PATH));
    const stats = await simulator.stats();
    return {
      label: `3. plain 403 ("APIs not enabled", ${PLAIN_403S} answered): the caller's error`,
      calls: load.samples.length,
      failedCalls: failedCalls(load.failures),
      passwordGrants: stats.passwordGrants,
      refreshGrants: stats.refreshGrants,
      notes: [
        `expected: exactly ${PLAIN_403S} failed calls and no token request; callers got ${byCode(load.failures)}`,
      ],
    };
  });
}

/** Case 3, both ways. */
export async function measureForbiddenToken(
  sizes: BenchSizes['callerFailures'],
): Promise<CaseResult> {
  const refused = await revokedTokenAnswered403(sizes.forbiddenRunMs);
  const plain = await plain403(sizes.forbiddenRunMs);
  const plainGrants = plain.passwordGrants + plain.refreshGrants;
  return {
    rows: [refused, plain],
    targets: [
      {
        goal: '403 with `Bearer error="invalid_token"` is treated like a 401: no call fails',
        measured: `${refused.failedCalls} failed of ${refused.calls}`,
        met: refused.failedCalls === 0,
      },
      {
        goal: `a plain 403 stays the caller's error: ${PLAIN_403S} failed calls, no token request`,
        measured: `${plain.failedCalls} failed, ${plainGrants} token requests`,
        met: plain.failedCalls === PLAIN_403S && plainGrants === 0,
      },
    ],
  };
}
