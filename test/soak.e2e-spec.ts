// Soak: 2.5-second tokens, 20 callers calling EnKash through EnkashHttpService without pause for 21 seconds, across
// some 20 renewals, each of which revokes the token the callers were using. Not one call may fail.
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { EnkashAuthModule, EnkashAuthService, EnkashHttpService } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { optionsFor } from './support/enkash-app.js';
import { SecretWatch, secretsOfSimulator } from './support/secret-watch.js';
import { until } from './support/waiting.js';
import { renewalDelayMs } from '../lib/token/renewal-policy.js';

const TOKEN_LIFETIME_SECONDS = 2.5;
/** Blips of the token endpoint at the cold start, one after the other: the callers wait them out. */
const COLD_START_BLIPS = [{ kind: 'bad-gateway-html' }, { kind: 'malformed-json' }] as const;
const CALLERS = 20;
const DURATION_MS = 21_000;
/** The default, set here since the renewal times below are worked out from it. */
const REFRESH_BEFORE_EXPIRY_SECONDS = 300;
/** EnKash announces whole seconds (`expires_in` 2 for a 2.5-second token). */
const ANNOUNCED_LIFETIME_MS = Math.floor(TOKEN_LIFETIME_SECONDS) * 1_000;
/**
 * A token this short is renewed a quarter of its life before it expires (0.5 s here), counted from when the token
 * request that brought it was sent. The jitter that spreads replicas brings the renewal forward by up to a quarter
 * second: renewals come from 1.25 to 1.5 s after the token request before them.
 */
const LATEST_RENEWAL_MS = renewalDelayMs(
  ANNOUNCED_LIFETIME_MS,
  REFRESH_BEFORE_EXPIRY_SECONDS,
  () => 0,
);
const EARLIEST_RENEWAL_MS = renewalDelayMs(
  ANNOUNCED_LIFETIME_MS,
  REFRESH_BEFORE_EXPIRY_SECONDS,
  () => 1,
);
/**
 * Renewals that fit in the run, by the jitter's range alone. The engine draws each renewal's jitter from
 * `Math.random()`, which no module option fixes, so the count is not known in advance: 25 to 30 in nearly every run,
 * and even the likeliest count ±1 misses about one run in five. The soak checks each renewal instead, and the count
 * against the gaps it saw.
 */
const FEWEST_RENEWALS = Math.floor(DURATION_MS / LATEST_RENEWAL_MS);
const MOST_RENEWALS = Math.floor(DURATION_MS / EARLIEST_RENEWAL_MS);
/** How much sooner a renewal may seem to start than its window: times of events are whole milliseconds. */
const CLOCK_SLACK_MS = 3;
/** How much later a renewal may start than its window: its timer fires on an event loop that 20 callers keep busy. */
const TIMER_LAG_MS = 250;

interface SoakFigures {
  calls: number;
  failures: number;
  /** Token requests that failed, as the engine reported them. */
  failedRequests: number;
  failureCodes: Record<string, number>;
  passwordGrants: number;
  refreshGrants: number;
  tokensIssued: number;
  resourceUnauthorized: number;
  slowestCallMs: number;
  /** The grant of each token request EnKash received, in order. */
  grantTypes: string[];
  /**
   * The time from the start of each attempt that obtained a token (the login, then each renewal) to the start of the
   * next one, as the engine reported them in `events$`.
   */
  gapsMs: number[];
  /**
   * For each token the engine obtained, in order, the token requests EnKash received since the one before it was
   * obtained; last, those received after the last token was obtained.
   */
  requestsPerToken: number[];
  /** From the start of the login to when the last caller stopped. */
  runMs: number;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

describe('soak: 20 callers through 21 seconds of 2.5-second tokens', () => {
  let simulator: EnkashSimulator;
  let app: TestingModule;
  let watch: SecretWatch;
  let figures: SoakFigures;
  let appClosed = false;

  async function closeApp(): Promise<void> {
    if (appClosed) return;
    appClosed = true;
    await app?.close();
  }

  beforeAll(async () => {
    simulator = await startEnkashSimulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS });
    for (const blip of COLD_START_BLIPS) simulator.injectFault(blip, { grant: 'password' });
    watch = new SecretWatch().captureConsole();
    app = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        EnkashAuthModule.forRoot(
          optionsFor(simulator, { refreshBeforeExpirySeconds: REFRESH_BEFORE_EXPIRY_SECONDS }),
        ),
      ],
    })
      .setLogger(watch)
      .compile();
    app.useLogger(watch);
    await app.init();
    const http = app.get(EnkashHttpService);
    const obtained: { startedAt: number; at: number }[] = [];
    let failedRequests = 0;
    app.get(EnkashAuthService).events$.subscribe((event) => {
      if (event.type === 'failed') failedRequests += 1;
      if (event.type === 'failed' || event.type === 'invalidated') return;
      const at = event.at.getTime();
      obtained.push({ startedAt: at - event.durationMs, at });
    });

    const failureCodes: Record<string, number> = {};
    let calls = 0;
    let failures = 0;
    let slowestCallMs = 0;
    const stopAt = performance.now() + DURATION_MS;
    const caller = async (): Promise<void> => {
      while (performance.now() < stopAt) {
        const startedAt = performance.now();
        const outcome = await watch.settle(
          http.axiosRef.get('/api/v0/payout-account/balance', { params: { fundSourceId: 'FS1' } }),
        );
        slowestCallMs = Math.max(slowestCallMs, performance.now() - startedAt);
        calls += 1;
        if (!outcome.ok) {
          failures += 1;
          const code = String((outcome.error as { code?: unknown }).code);
          failureCodes[code] = (failureCodes[code] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: CALLERS }, caller));
    const endedAt = Date.now();

    const { passwordGrants, refreshGrants, tokensIssued, resourceUnauthorized } = simulator.stats;
    const requests = simulator.tokenRequests;
    const receivedBetween = (from: number, to: number): number =>
      requests.filter((request) => request.receivedAt > from && request.receivedAt <= to).length;
    const starts = obtained.map((token) => token.startedAt);
    const arrivals = obtained.map((token) => token.at);
    figures = {
      calls,
      failures,
      failedRequests,
      failureCodes,
      passwordGrants,
      refreshGrants,
      tokensIssued,
      resourceUnauthorized,
      slowestCallMs: Math.round(slowestCallMs),
      grantTypes: requests.map((request) => request.grantType),
      gapsMs: starts.slice(1).map((at, index) => Math.round(at - (starts[index] ?? at))),
      requestsPerToken: [...arrivals, endedAt].map((at, index) =>
        receivedBetween(arrivals[index - 1] ?? Number.NEGATIVE_INFINITY, at),
      ),
      runMs: endedAt - (starts[0] ?? endedAt),
    };
    const tokenLifetimes = DURATION_MS / (TOKEN_LIFETIME_SECONDS * 1_000);
    process.stdout.write(
      `soak: ${CALLERS} callers, ${DURATION_MS / 1_000} s, ${TOKEN_LIFETIME_SECONDS} s tokens, ` +
        `${COLD_START_BLIPS.length} blips at the cold start (${figures.failedRequests} failed token requests): ` +
        `${figures.calls} calls, ${figures.failures} failed ${JSON.stringify(figures.failureCodes)}, ` +
        `token requests: ${figures.passwordGrants} password + ${figures.refreshGrants} refresh ` +
        `(${figures.tokensIssued} tokens issued; ${FEWEST_RENEWALS} to ${MOST_RENEWALS} renewals expected at ` +
        `${LATEST_RENEWAL_MS / 1_000 - (LATEST_RENEWAL_MS - EARLIEST_RENEWAL_MS) / 1_000} to ` +
        `${LATEST_RENEWAL_MS / 1_000} s into the ${ANNOUNCED_LIFETIME_MS / 1_000} s announced lifetime), ` +
        `${(tokensIssued / tokenLifetimes).toFixed(1)} token requests per ${TOKEN_LIFETIME_SECONDS} s token ` +
        `lifetime, ${Math.min(...figures.gapsMs)} to ${Math.max(...figures.gapsMs)} ms apart; ` +
        `${figures.resourceUnauthorized} calls met a 401 after a renewal and were sent again, ` +
        `slowest call ${figures.slowestCallMs} ms\n`,
    );
  }, DURATION_MS + 20_000);

  afterAll(async () => {
    await closeApp();
    watch?.dispose();
    await simulator?.close();
  });

  it('serves every call, through the blips at the cold start too: not one failure seen by a caller', () => {
    expect(figures.failedRequests).toBe(COLD_START_BLIPS.length);
    expect(figures.calls).toBeGreaterThan(1_000);
    expect(figures.failureCodes).toEqual({});
    expect(figures.failures).toBe(0);
  });

  it('makes one token request per renewal: one login after the blips, then the refresh grant only', () => {
    const logins = COLD_START_BLIPS.length + 1;
    expect(figures.passwordGrants).toBe(logins);
    expect(figures.grantTypes).toEqual([
      ...Array.from({ length: logins }, () => 'password'),
      ...Array.from({ length: figures.refreshGrants }, () => 'refresh_token'),
    ]);
    expect(figures.tokensIssued).toBe(1 + figures.refreshGrants);
    // The first token cost the blips and the login; each later one exactly one token request; after the last one, at
    // most the renewal under way when the callers stopped.
    const perToken = figures.requestsPerToken;
    expect(perToken[0]).toBe(logins);
    expect(perToken.slice(1, -1)).toEqual(perToken.slice(1, -1).map(() => 1));
    expect(perToken.at(-1)).toBeLessThanOrEqual(1);
    // Each renewal started within its window after the attempt before it: none sooner, none late.
    const outOfWindow = figures.gapsMs.filter(
      (gap) => gap < EARLIEST_RENEWAL_MS - CLOCK_SLACK_MS || gap > LATEST_RENEWAL_MS + TIMER_LAG_MS,
    );
    expect(outOfWindow).toEqual([]);
    // And they went on to the end: as many as the run holds at the mean gap seen, ±1 for the one under way.
    const renewalsTheRunHolds = Math.floor(figures.runMs / mean(figures.gapsMs));
    expect(Math.abs(figures.refreshGrants - renewalsTheRunHolds)).toBeLessThanOrEqual(1);
  });

  it('renews at most twice per token lifetime', () => {
    const lifetimes = figures.runMs / (TOKEN_LIFETIME_SECONDS * 1_000);
    expect(figures.refreshGrants / lifetimes).toBeLessThanOrEqual(2);
  });

  it('keeps renewing on schedule: the token held at the end is the one EnKash holds', async () => {
    const auth = app.get(EnkashAuthService);
    // Renewals go on after the callers stopped: during one, EnKash may already hold the next token. Between two
    // renewals, the engine and EnKash agree.
    await until(() => auth.getStatus().state === 'valid', 2_000, 'a moment between two renewals');
    expect(auth.getCachedAccessToken()).toBe(simulator.currentAccessToken);
    expect(auth.getStatus()).toMatchObject({ state: 'valid', consecutiveFailures: 0 });
  });

  it('never logs or throws a secret or a token, shutdown included', async () => {
    await closeApp();
    expect(watch.lines.length).toBeGreaterThan(FEWEST_RENEWALS - 2);
    expect(watch.leaks(secretsOfSimulator(simulator))).toEqual([]);
  });
});
