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

const TOKEN_LIFETIME_SECONDS = 2.5;
const CALLERS = 20;
const DURATION_MS = 21_000;
/** EnKash announces whole seconds (`expires_in` 2 for a 2.5-second token). */
const ANNOUNCED_LIFETIME_SECONDS = Math.floor(TOKEN_LIFETIME_SECONDS);
/**
 * Tokens shorter than twice `refreshBeforeExpirySeconds` are renewed at half their announced life, leaving the other
 * half for retries, or up to a quarter of it earlier (the jitter that spreads replicas): from 0.5 to 1 s apart here.
 */
const LATEST_RENEWAL_MS = (ANNOUNCED_LIFETIME_SECONDS / 2) * 1_000;
const EARLIEST_RENEWAL_MS = (ANNOUNCED_LIFETIME_SECONDS / 4) * 1_000;
/** Renewals that fit in the run, one token request each: between these two. */
const FEWEST_RENEWALS = Math.floor(DURATION_MS / LATEST_RENEWAL_MS);
const MOST_RENEWALS = Math.floor(DURATION_MS / EARLIEST_RENEWAL_MS);

interface SoakFigures {
  calls: number;
  failures: number;
  failureCodes: Record<string, number>;
  passwordGrants: number;
  refreshGrants: number;
  tokensIssued: number;
  resourceUnauthorized: number;
  slowestCallMs: number;
  /** The shortest time between two token requests EnKash received. */
  shortestGapMs: number;
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
    watch = new SecretWatch().captureConsole();
    app = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot(), EnkashAuthModule.forRoot(optionsFor(simulator))],
    })
      .setLogger(watch)
      .compile();
    app.useLogger(watch);
    await app.init();
    const http = app.get(EnkashHttpService);

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

    const { passwordGrants, refreshGrants, tokensIssued, resourceUnauthorized } = simulator.stats;
    const arrivals = simulator.tokenRequests.map((request) => request.receivedAt);
    const gaps = arrivals.slice(1).map((at, index) => at - (arrivals[index] ?? at));
    figures = {
      calls,
      failures,
      failureCodes,
      passwordGrants,
      refreshGrants,
      tokensIssued,
      resourceUnauthorized,
      slowestCallMs: Math.round(slowestCallMs),
      shortestGapMs: Math.min(...gaps),
    };
    const tokenLifetimes = DURATION_MS / (TOKEN_LIFETIME_SECONDS * 1_000);
    process.stdout.write(
      `soak: ${CALLERS} callers, ${DURATION_MS / 1_000} s, ${TOKEN_LIFETIME_SECONDS} s tokens: ` +
        `${figures.calls} calls, ${figures.failures} failed ${JSON.stringify(figures.failureCodes)}, ` +
        `token requests: ${figures.passwordGrants} password + ${figures.refreshGrants} refresh ` +
        `(${figures.tokensIssued} tokens issued; ${FEWEST_RENEWALS} to ${MOST_RENEWALS} renewals expected at ` +
        `a quarter to half of the ${ANNOUNCED_LIFETIME_SECONDS} s announced lifetime), ` +
        `${(tokensIssued / tokenLifetimes).toFixed(1)} token requests per ${TOKEN_LIFETIME_SECONDS} s token ` +
        `lifetime, each at least ${figures.shortestGapMs} ms after the previous one; ` +
        `${figures.resourceUnauthorized} calls met a 401 after a renewal and were sent again, ` +
        `slowest call ${figures.slowestCallMs} ms\n`,
    );
  }, DURATION_MS + 20_000);

  afterAll(async () => {
    await closeApp();
    watch?.dispose();
    await simulator?.close();
  });

  it('serves every call: not one failure seen by a caller', () => {
    expect(figures.calls).toBeGreaterThan(1_000);
    expect(figures.failureCodes).toEqual({});
    expect(figures.failures).toBe(0);
  });

  it('makes one token request per renewal: one login, then the refresh grant only', () => {
    expect(figures.passwordGrants).toBe(1);
    expect(figures.refreshGrants).toBeGreaterThanOrEqual(FEWEST_RENEWALS - 3);
    expect(figures.refreshGrants).toBeLessThanOrEqual(MOST_RENEWALS + 1);
    expect(figures.tokensIssued).toBe(figures.passwordGrants + figures.refreshGrants);
    // Nothing on top of the renewals: they come at least half a second apart.
    expect(figures.shortestGapMs).toBeGreaterThan(EARLIEST_RENEWAL_MS * 0.8);
  });

  it('keeps renewing on schedule: the token held at the end is the one EnKash holds', () => {
    const auth = app.get(EnkashAuthService);
    expect(auth.getCachedAccessToken()).toBe(simulator.currentAccessToken);
    expect(auth.getStatus()).toMatchObject({ state: 'valid', consecutiveFailures: 0 });
  });

  it('never logs or throws a secret or a token, shutdown included', async () => {
    await closeApp();
    expect(watch.lines.length).toBeGreaterThan(FEWEST_RENEWALS - 2);
    expect(watch.leaks(secretsOfSimulator(simulator))).toEqual([]);
  });
});
