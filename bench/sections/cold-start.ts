// 2. Many callers at startup, before any token is held: how many token requests reach EnKash, and how long the
// callers wait compared with one token round trip.
import axios from 'axios';
import { firstValueFrom } from 'rxjs';
import { EnkashAuthService, EnkashHttpService } from '../../lib/index.js';
import type { BenchSizes } from '../bench-sizes.js';
import { requestToken } from '../clients/token-request.js';
import { TokenPerCallClient } from '../clients/token-per-call-client.js';
import { bootAgainst } from '../support/boot.js';
import { median } from '../support/load.js';
import { RemoteSimulator } from '../support/remote-simulator.js';
import { count, ms } from '../support/report.js';
import type { SectionResult } from '../support/report.js';
import { BALANCE_PATH } from '../support/enkash-paths.js';

/** All callers served within one token round trip, give or take this share of it. */
const ROUND_TRIP_TOLERANCE = 0.1;

interface ColdStartRow {
  label: string;
  tokenRequests: number;
  unauthorized: number;
  failed: number;
  /** From the first caller's start to the last caller's answer. */
  allServedMs: number;
}

/** Starts `callers` concurrent `call`s at once; when the last settled, and how many failed. */
async function stampede(
  callers: number,
  call: () => Promise<unknown>,
): Promise<{ allServedMs: number; failed: number }> {
  const startedAt = performance.now();
  const outcomes = await Promise.allSettled(Array.from({ length: callers }, call));
  return {
    allServedMs: performance.now() - startedAt,
    failed: outcomes.filter((outcome) => outcome.status === 'rejected').length,
  };
}

export async function measureColdStart(sizes: BenchSizes['coldStart']): Promise<SectionResult> {
  const simulator = await RemoteSimulator.start();
  try {
    // The token endpoint answers after a delay that stands for the internet between an application and EnKash.
    await simulator.injectFault({ kind: 'delay', ms: sizes.tokenLatencyMs }, { times: Infinity });
    const tokenHttp = axios.create({ baseURL: simulator.url });
    const roundTrips: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const sentAt = performance.now();
      await requestToken(tokenHttp, simulator.credentials);
      roundTrips.push(performance.now() - sentAt);
    }
    const roundTripMs = median(roundTrips);

    const rows: ColdStartRow[] = [];
    const measure = async (
      label: string,
      run: () => Promise<{ allServedMs: number; failed: number }>,
    ) => {
      await simulator.resetStats();
      const outcome = await run();
      const stats = await simulator.stats();
      rows.push({
        label,
        tokenRequests: stats.tokenRequests,
        unauthorized: stats.resourceUnauthorized,
        ...outcome,
      });
    };

    const tokensApp = await bootAgainst(simulator, { acquireOnStartup: false });
    const auth = tokensApp.get(EnkashAuthService);
    await measure('EnkashAuthService.getAccessToken()', () =>
      stampede(sizes.callers, () => auth.getAccessToken()),
    );
    await tokensApp.close();

    const callsApp = await bootAgainst(simulator, { acquireOnStartup: false });
    const enkash = callsApp.get(EnkashHttpService);
    await measure('EnkashHttpService: first GETs', () =>
      stampede(sizes.callers, () => firstValueFrom(enkash.get(BALANCE_PATH))),
    );
    await callsApp.close();

    const naive = new TokenPerCallClient(simulator.url, simulator.credentials);
    await measure('a token per call: first GETs', () =>
      stampede(sizes.callers, () => naive.get(BALANCE_PATH)),
    );

    const [tokens] = rows;
    const limitMs = roundTripMs * (1 + ROUND_TRIP_TOLERANCE);
    return {
      title: '2. Cold start',
      setup:
        `${count(sizes.callers)} concurrent callers the moment the application starts (no token held yet); the ` +
        `token endpoint answers after ${sizes.tokenLatencyMs} ms, standing for the network to EnKash. One token ` +
        `round trip, measured alone: ${ms(roundTripMs)}.`,
      header: ['client', 'token requests', '401s from EnKash', 'failed calls', 'all served after'],
      rows: rows.map((row) => [
        row.label,
        count(row.tokenRequests),
        count(row.unauthorized),
        count(row.failed),
        `${ms(row.allServedMs)} (${(row.allServedMs / roundTripMs).toFixed(2)} round trips)`,
      ]),
      notes: [
        `The GET rows also open ${count(sizes.callers)} connections and send ${count(sizes.callers)} calls: their ` +
          'time is mostly that; their token requests are the point.',
      ],
      targets: [
        {
          goal: `${count(sizes.callers)} cold callers cause 1 token request`,
          measured: `${tokens!.tokenRequests}`,
          met: tokens!.tokenRequests === 1 && tokens!.failed === 0,
        },
        {
          goal: 'all of them hold a token after one token round trip',
          measured: `${ms(tokens!.allServedMs)} (round trip ${ms(roundTripMs)})`,
          met: tokens!.allServedMs <= limitMs,
        },
      ],
    };
  } finally {
    await simulator.close();
  }
}
