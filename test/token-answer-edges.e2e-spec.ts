import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { EnkashAuthError, EnkashAuthModule, EnkashAuthService } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { optionsFor, sleep } from './support/enkash-app.js';
import { SecretWatch, secretsOfSimulator } from './support/secret-watch.js';

/** How long each case watches the engine after the first call: long enough for a storm to show. */
const WATCH_MS = 2_000;
const YEAR_MS = 365 * 24 * 3600_000;

/** A random value shaped like EnKash's tokens (27 base64url characters). */
const tokenLike = (): string => randomBytes(20).toString('base64url').slice(0, 27);

describe("EnKash's token answer with an odd expires_in, from the simulator's token endpoint", () => {
  let simulator: EnkashSimulator;
  let app: TestingModule | undefined;
  let watch: SecretWatch;
  let crafted: { accessToken: string; refreshToken: string };

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
    watch = new SecretWatch().captureConsole();
    crafted = { accessToken: tokenLike(), refreshToken: tokenLike() };
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    watch.dispose();
    const secrets = [
      ...secretsOfSimulator(simulator),
      { name: 'crafted access token', value: crafted.accessToken },
      { name: 'crafted refresh token', value: crafted.refreshToken },
    ];
    await simulator.close();
    expect(watch.leaks(secrets)).toEqual([]);
  });

  /** Every token request, whatever its grant, is answered 200 with `expires_in` as this JSON text (or without it). */
  function answerEveryTokenRequestWith(expiresInJson: string | undefined): void {
    const body =
      `{"access_token":"${crafted.accessToken}","token_type":"bearer",` +
      `"refresh_token":"${crafted.refreshToken}","scope":"read write trust"` +
      (expiresInJson === undefined ? '' : `,"expires_in":${expiresInJson}`) +
      '}';
    simulator.injectFault(
      { kind: 'status', status: 200, body, headers: { 'Content-Type': 'application/json' } },
      { times: Infinity },
    );
  }

  async function boot(): Promise<EnkashAuthService> {
    app = await Test.createTestingModule({
      imports: [EnkashAuthModule.forRoot(optionsFor(simulator))],
    }).compile();
    app.useLogger(watch);
    await app.init();
    return app.get(EnkashAuthService);
  }

  /** Asks for a token every 100 ms for {@link WATCH_MS}, as a busy app would; returns what each call got. */
  /** A caller every 100 ms for WATCH_MS, none of which waits for a retry: each gets what the engine holds then. */
  async function keepAsking(auth: EnkashAuthService): Promise<unknown[]> {
    const outcomes: unknown[] = [];
    for (const end = Date.now() + WATCH_MS; Date.now() < end;) {
      const outcome = await watch.settle(auth.getAccessToken({ waitMs: 0 }));
      outcomes.push(outcome.ok ? outcome.value : outcome.error);
      await sleep(100);
    }
    return outcomes;
  }

  const warnings = (): string => watch.linesAt('warn').join('\n');

  describe('answers without a usable lifetime are refused, with backoff', () => {
    it.each([
      // [case, expires_in, requests per attempt, what the error and the warning say]
      ['0', '0', 2, 'with expires_in below one second'],
      ['negative', '-1', 1, 'with an invalid expires_in (not a non-negative number)'],
      ['"abc"', '"abc"', 1, 'with an invalid expires_in (not a non-negative number)'],
    ])(
      'expires_in %s: callers get malformed_response, and at most 3 attempts in 2 s',
      async (_case, expiresIn, requestsPerAttempt, problem) => {
        answerEveryTokenRequestWith(expiresIn);
        const auth = await boot();

        const outcomes = await keepAsking(auth);

        expect(outcomes.length).toBeGreaterThan(10);
        for (const outcome of outcomes) {
          expect(outcome).toBeInstanceOf(EnkashAuthError);
          expect(outcome).toMatchObject({
            code: 'malformed_response',
            retryable: true,
            status: 200,
            message: `EnKash token endpoint answered HTTP 200 ${problem}`,
          });
        }
        // Each attempt starts with the password grant; with expires_in 0 it adds one refresh grant that could have
        // replaced the dying token. Backoff: the 2nd attempt within 1 s, the 3rd 1–2 s later, the 4th 2–4 s later.
        const attempts = simulator.stats.passwordGrants;
        expect(attempts).toBeGreaterThanOrEqual(2);
        expect(attempts).toBeLessThanOrEqual(3);
        expect(simulator.stats.tokenRequests).toBeLessThanOrEqual(attempts * requestsPerAttempt);
        expect(auth.getStatus()).toMatchObject({
          expiresAt: null,
          lastErrorCode: 'malformed_response',
        });
        expect(warnings()).toContain(`failed: malformed_response (HTTP 200); retrying in`);
        expect(warnings()).toContain(problem);
      },
    );
  });

  it('expires_in missing: the token is used for an assumed 5 minutes, and a warning says so', async () => {
    answerEveryTokenRequestWith(undefined);
    const auth = await boot();
    const before = Date.now();

    expect(await auth.getAccessToken()).toBe(crafted.accessToken);
    const { expiresAt, nextRenewalAt, state } = auth.getStatus();
    expect(state).toBe('valid');
    expect(expiresAt?.getTime()).toBeGreaterThanOrEqual(before + 300_000 - 50);
    expect(expiresAt?.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
    // Renewed a tenth of the assumed life before it ends, or up to 2.5% of it earlier (the jitter). Both dates are
    // read from the wall clock, a moment apart: a millisecond or two may separate them.
    const margin = (expiresAt?.getTime() ?? 0) - (nextRenewalAt?.getTime() ?? 0);
    expect(margin).toBeGreaterThanOrEqual(30_000 - 2);
    expect(margin).toBeLessThanOrEqual(37_500 + 2);

    const outcomes = await keepAsking(auth);
    expect(new Set(outcomes)).toEqual(new Set([crafted.accessToken]));
    expect(simulator.stats.tokenRequests).toBe(1);
    expect(warnings()).toContain("EnKash's token answer had no expires_in; assuming 300 s");
  });

  it('expires_in 1e12: the token is used, capped at a year, with one renewal timer and a warning', async () => {
    answerEveryTokenRequestWith('1e12');
    const auth = await boot();
    const before = Date.now();

    expect(await auth.getAccessToken()).toBe(crafted.accessToken);
    const { expiresAt, nextRenewalAt, state } = auth.getStatus();
    expect(state).toBe('valid');
    expect(expiresAt).toBeInstanceOf(Date);
    expect(Number.isNaN(expiresAt?.getTime())).toBe(false);
    expect(expiresAt?.getTime()).toBeGreaterThanOrEqual(before + YEAR_MS - 50);
    expect(expiresAt?.getTime()).toBeLessThanOrEqual(Date.now() + YEAR_MS);
    const margin = (expiresAt?.getTime() ?? 0) - (nextRenewalAt?.getTime() ?? 0);
    expect(margin).toBeGreaterThanOrEqual(300_000 - 2);
    expect(margin).toBeLessThanOrEqual(450_000 + 2);

    // A timer beyond 2^31−1 ms would fire at once (Node clamps it to 1 ms): the renewal would show up here.
    const outcomes = await keepAsking(auth);
    expect(new Set(outcomes)).toEqual(new Set([crafted.accessToken]));
    expect(simulator.stats.tokenRequests).toBe(1);
    expect(warnings()).toContain(
      "EnKash's token answer had an expires_in beyond the 365-day limit; using 31536000 s",
    );
    expect(watch.linesAt('console')).toEqual([]);
  });
});
