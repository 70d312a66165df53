// Shutdown, against the simulator over real HTTP: closing the app during a token request, a backoff wait, the spacing
// pause of invalidate(), a renewal and an API call. close() is prompt, waiting callers get a typed error at once, no
// socket or ref'd timer is left, nothing is sent or logged afterwards; a child process that boots, fetches a token
// and closes its app exits by itself.
import 'reflect-metadata';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ModuleMetadata } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import {
  EnkashAuthError,
  EnkashAuthModule,
  EnkashAuthService,
  EnkashHttpError,
  EnkashHttpService,
  ENKASH_TOKEN_RENEWAL_TIMEOUT,
} from '../lib/index.js';
import type { EnkashAuthOptions } from '../lib/index.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';
import { environmentFor, optionsFor, sleep } from './support/enkash-app.js';
import {
  childEnvironment,
  compileChildFixtures,
  FixtureProcess,
  removeChildFixtures,
} from './support/child-fixtures.js';
import { addedSince, liveResources } from './support/live-resources.js';
import { SecretWatch, secretsOfSimulator } from './support/secret-watch.js';
import { until, within } from './support/waiting.js';

const BALANCE = '/api/v0/payout-account/balance';

/** What "promptly" means for close(). */
const PROMPT_MS = 1_000;

/**
 * How soon after close() a waiting caller must have been rejected: at once, not when a pause or a timeout runs out
 * (those last most of a second or more here). The margin is for a loaded machine.
 */
const REJECTED_WITHIN_MS = 300;

/** Sockets, servers and ref'd timers: everything that could keep a process alive. */
const EVERY_RESOURCE = { timers: true };

/**
 * Jest's reporter, in this very process, now and then arms a timer for 100 ms: a timer is given this long to go.
 * Every timer the library could leave behind here would run for most of a second or more.
 */
const TIMER_GRACE_MS = 200;

/**
 * Asserts that no socket, server or ref'd timer was added since `before`. Sockets get up to `socketGraceMs` to go:
 * the server's end of a socket the client closed goes a moment after it.
 */
async function expectNoResourceAddedSince(
  before: Record<string, number>,
  socketGraceMs = 500,
): Promise<void> {
  const startedAt = Date.now();
  for (;;) {
    const added = Object.keys(addedSince(before, EVERY_RESOURCE));
    if (added.length === 0) break;
    const graceMs = added.some((resource) => resource.startsWith('TCP'))
      ? socketGraceMs
      : TIMER_GRACE_MS;
    if (Date.now() - startedAt >= graceMs) break;
    await sleep(10);
  }
  expect(addedSince(before, EVERY_RESOURCE)).toEqual({});
}

/** How a promise settled, and when (`Date.now()`). */
type SettledAt = ({ ok: true; value: unknown } | { ok: false; error: unknown }) & { at: number };

describe('closing the application', () => {
  let simulator: EnkashSimulator;
  let watch: SecretWatch;
  let app: TestingModule | undefined;
  /** Before the simulator started: what is left once everything is closed. */
  let resourcesBefore: Record<string, number>;
  /** With the simulator listening: what is left once the app is closed. */
  let resourcesWithSimulator: Record<string, number>;

  beforeEach(async () => {
    resourcesBefore = liveResources(EVERY_RESOURCE);
    simulator = await startEnkashSimulator();
    resourcesWithSimulator = liveResources(EVERY_RESOURCE);
    watch = new SecretWatch().captureConsole();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await simulator.close();
    watch.dispose();
    expect(watch.leaks(secretsOfSimulator(simulator))).toEqual([]);
  });

  /** Boots the module against the simulator, every log line going to `watch`. */
  async function boot(
    overrides: Partial<EnkashAuthOptions> = {},
    imports: ModuleMetadata['imports'] = [],
  ): Promise<{ auth: EnkashAuthService; http: EnkashHttpService; moduleRef: TestingModule }> {
    const moduleRef = await Test.createTestingModule({
      imports: [...imports, EnkashAuthModule.forRoot(optionsFor(simulator, overrides))],
    })
      .setLogger(watch)
      .compile();
    moduleRef.useLogger(watch);
    await moduleRef.init();
    app = moduleRef;
    return {
      auth: moduleRef.get(EnkashAuthService),
      http: moduleRef.get(EnkashHttpService),
      moduleRef,
    };
  }

  /**
   * Closes the app. `closedAt` is `Date.now()` once close() has returned; `loggedSinceClose()` lists every line logged
   * from the moment close() was called (by position, not by time: a line in the same millisecond counts too).
   */
  async function close(): Promise<{
    closedAt: number;
    tookMs: number;
    loggedSinceClose: () => string[];
  }> {
    const linesBefore = watch.lines.length;
    const startedAt = performance.now();
    await app?.close();
    app = undefined;
    return {
      closedAt: Date.now(),
      tookMs: performance.now() - startedAt,
      loggedSinceClose: () =>
        watch.lines.slice(linesBefore).map((line) => `${line.level}: ${line.text}`),
    };
  }

  /** Settles `promise` through the watch (its error is scanned for secrets), noting when it settled. */
  function settleTimed(promise: Promise<unknown>): Promise<SettledAt> {
    return watch.settle(promise).then((result) => ({ ...result, at: Date.now() }));
  }

  /**
   * Closes the app while a `getAccessToken()` caller and an `EnkashHttpService` call wait: close is prompt, and both
   * are rejected at once with typed errors. Returns what was logged from the moment close began.
   */
  async function closeWhileWaiting(
    token: Promise<SettledAt>,
    call: Promise<SettledAt>,
  ): Promise<() => string[]> {
    const { closedAt, tookMs, loggedSinceClose } = await close();

    expect(tookMs).toBeLessThan(PROMPT_MS);
    const [tokenOutcome, callOutcome] = await within(
      Promise.all([token, call]),
      PROMPT_MS,
      'a caller still waits after close',
    );
    expectClosedEngine(tokenOutcome, closedAt);
    expectCanceledCall(callOutcome, closedAt);
    return loggedSinceClose;
  }

  /** A caller of getAccessToken() was rejected promptly by the closing engine. */
  function expectClosedEngine(outcome: SettledAt, closedAt: number): void {
    expect(outcome.ok).toBe(false);
    expect(outcome.at - closedAt).toBeLessThan(REJECTED_WITHIN_MS);
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(EnkashAuthError);
    expect(error).toMatchObject({ code: 'network', retryable: false });
    expect((error as Error).message).toMatch(/shutting down/);
  }

  /**
   * A call through EnkashHttpService was aborted promptly. Nest destroys dependents first: EnkashHttpService (which
   * depends on EnkashAuthService) aborts its calls, those waiting for a token included, before the engine closes.
   */
  function expectCanceledCall(outcome: SettledAt, closedAt: number): void {
    expect(outcome.ok).toBe(false);
    expect(outcome.at - closedAt).toBeLessThan(REJECTED_WITHIN_MS);
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(EnkashHttpError);
    expect(error).toMatchObject({ code: 'ERR_CANCELED', method: 'GET', path: BALANCE });
  }

  /** Everything closed, the simulator included: no socket, server or ref'd timer left over from the test. */
  async function expectNothingLeftAfterSimulatorCloses(): Promise<void> {
    await simulator.close();
    await expectNoResourceAddedSince(resourcesBefore);
  }

  it('during a hanging token request: close is prompt, the waiting callers get typed errors, the socket is closed and nothing is logged afterwards', async () => {
    simulator.injectFault({ kind: 'hang' }, { times: Infinity });
    const { auth, http } = await boot({ tokenRequestTimeoutMs: 1_000 });
    const token = settleTimed(auth.getAccessToken());
    const call = settleTimed(firstValueFrom(http.get(BALANCE)));
    await until(() => simulator.stats.tokenRequests === 1, 2_000, 'the token request arrives');
    // The hung connection is there to be seen, at both ends.
    expect(addedSince(resourcesWithSimulator, EVERY_RESOURCE)).toMatchObject({ TCPSocketWrap: 2 });

    const loggedSinceClose = await closeWhileWaiting(token, call);

    // The client closed the hung socket (the simulator, still listening, closes its end in turn).
    await expectNoResourceAddedSince(resourcesWithSimulator);

    await sleep(1_500); // past tokenRequestTimeoutMs: an aborted request never times out, nor is retried
    expect(loggedSinceClose()).toEqual([]);
    expect(simulator.stats.tokenRequests).toBe(1);
    expect(simulator.stats.resourceRequests).toBe(0);
    expect(auth.getStatus()).toMatchObject({ state: 'closed', nextRenewalAt: null });
    await expectNothingLeftAfterSimulatorCloses();
  });

  it('while callers wait for a retry: each gets the shutdown error at once, and the retry is never sent', async () => {
    simulator.injectFault({ kind: 'server-error' }, { times: Infinity });
    const { auth } = await boot();
    const waiting = Array.from({ length: 5 }, () => watch.settle(auth.getAccessToken()));
    await until(() => auth.getStatus().state === 'retrying', 2_000, 'the failed token request');
    const retryDueAt = auth.getStatus().nextRetryAt?.getTime() ?? Number.NaN;

    const { tookMs } = await close();

    expect(tookMs).toBeLessThan(PROMPT_MS);
    for (const outcome of await Promise.all(waiting)) {
      expect(outcome).toMatchObject({ ok: false, error: { code: 'network' } });
      expect(String((outcome as { error: unknown }).error)).toMatch(/shutting down|closed/);
    }
    await sleep(Math.max(0, retryDueAt - Date.now()) + 300);
    expect(simulator.stats.tokenRequests).toBe(1);
  });

  it('during a backoff wait: the retry is never sent and nothing is logged afterwards', async () => {
    simulator.injectFault({ kind: 'server-error' }, { times: Infinity });
    const { auth } = await boot();
    const failure = await watch.settle(auth.getAccessToken({ waitMs: 0 }));
    expect(failure).toMatchObject({ ok: false, error: { code: 'server_error' } });
    const { state, nextRetryAt } = auth.getStatus();
    expect(state).toBe('retrying');
    expect(watch.linesAt('warn').join('\n')).toMatch(/retrying in/);
    const retryDueAt = nextRetryAt?.getTime() ?? Number.NaN;
    expect(retryDueAt).toBeGreaterThan(Date.now());

    const { tookMs, loggedSinceClose } = await close();

    expect(tookMs).toBeLessThan(PROMPT_MS);
    expect(auth.getStatus()).toMatchObject({
      state: 'closed',
      nextRenewalAt: null,
      nextRetryAt: null,
    });
    // The kept-alive connection of the failed request is closed too.
    await expectNoResourceAddedSince(resourcesWithSimulator);
    await sleep(Math.max(0, retryDueAt - Date.now()) + 500);
    expect(simulator.stats.tokenRequests).toBe(1);
    expect(loggedSinceClose()).toEqual([]);
    await expect(auth.getAccessToken()).rejects.toThrow(/closed/);
    expect(simulator.stats.tokenRequests).toBe(1);
    await expectNothingLeftAfterSimulatorCloses();
  });

  it('during the spacing pause of invalidate(): the waiting callers are rejected at once and no token request is sent', async () => {
    const { auth, http } = await boot();
    const refused = await auth.getAccessToken();
    // Right after the previous token request: the new one waits out the one-second spacing.
    auth.invalidate(refused);
    expect(auth.getStatus().state).toBe('acquiring');
    const token = settleTimed(auth.getAccessToken());
    const call = settleTimed(firstValueFrom(http.get(BALANCE)));
    await sleep(20);
    expect(simulator.stats.tokenRequests).toBe(1);

    const loggedSinceClose = await closeWhileWaiting(token, call);
    // The pause's timer is cleared, not left to run out.
    await expectNoResourceAddedSince(resourcesWithSimulator);
    await sleep(1_300); // past the end of the pause
    expect(simulator.stats.tokenRequests).toBe(1);
    expect(simulator.stats.resourceRequests).toBe(0);
    expect(loggedSinceClose()).toEqual([]);
    await expectNothingLeftAfterSimulatorCloses();
  });

  it('during a renewal: the refresh grant is aborted, the callers waiting for it are rejected, nothing follows', async () => {
    simulator.setTokenLifetime(2); // renewed at 1 s
    // A hang, not a delay: the simulator then holds no timer, and every timer left after close is the library's.
    simulator.injectFault({ kind: 'hang' }, { grant: 'refresh_token', times: Infinity });
    const { auth, http } = await boot({ tokenRequestTimeoutMs: 1_000 });
    await auth.getAccessToken();
    await until(() => simulator.stats.refreshGrants === 1, 2_000, 'the refresh grant is sent');
    expect(auth.getStatus().state).toBe('renewing');
    // Callers during a renewal wait for the new token (for up to a second).
    const token = settleTimed(auth.getAccessToken());
    const call = settleTimed(firstValueFrom(http.get(BALANCE)));
    await sleep(20);

    const loggedSinceClose = await closeWhileWaiting(token, call);
    // The client closed the hung socket (the simulator closes its end in turn) and left no timer running.
    await expectNoResourceAddedSince(resourcesWithSimulator);
    await sleep(1_600); // past tokenRequestTimeoutMs and the token's expiry
    expect(simulator.tokenRequests.map((request) => request.grantType)).toEqual([
      'password',
      'refresh_token',
    ]);
    expect(simulator.stats.resourceRequests).toBe(0);
    expect(loggedSinceClose()).toEqual([]);
    expect(auth.getStatus()).toMatchObject({ state: 'closed', nextRenewalAt: null });
    await expectNothingLeftAfterSimulatorCloses();
  });

  it('of EnkashHttpService calls: the call under way fails with ERR_CANCELED, its socket and the kept-alive ones are closed', async () => {
    const { auth, http } = await boot();
    await auth.getAccessToken();
    // Two calls at once leave two kept-alive connections; the hanging call takes one of them.
    await Promise.all([firstValueFrom(http.get(BALANCE)), firstValueFrom(http.get(BALANCE))]);
    simulator.injectResourceFault({ kind: 'hang' });
    const call = settleTimed(firstValueFrom(http.get(BALANCE)));
    await until(() => simulator.stats.resourceRequests === 3, 2_000, 'the call arrives');

    const { closedAt, tookMs, loggedSinceClose } = await close();

    expect(tookMs).toBeLessThan(PROMPT_MS);
    expectCanceledCall(await within(call, PROMPT_MS, 'the call still waits after close'), closedAt);
    await expectNoResourceAddedSince(resourcesWithSimulator);
    await sleep(300);
    expect(loggedSinceClose()).toEqual([]);
    await expectNothingLeftAfterSimulatorCloses();
  });

  describe("with ScheduleModule.forRoot() in the host, the host's SchedulerRegistry holds no EnKash timeout after close", () => {
    const enkashTimeouts = (registry: SchedulerRegistry): string[] =>
      registry.getTimeouts().filter((name) => name.startsWith(ENKASH_TOKEN_RENEWAL_TIMEOUT));

    /**
     * Closes the app and checks, at once and again after `waitMs` (past what was due), that the registry holds no
     * EnKash timeout, that EnKash received exactly `tokenRequests` token requests, and that nothing was logged or left open.
     */
    async function closeAndExpectNoTimeoutLeft(
      auth: EnkashAuthService,
      registry: SchedulerRegistry,
      { waitMs, tokenRequests }: { waitMs: number; tokenRequests: number },
    ): Promise<void> {
      const { loggedSinceClose } = await close();

      expect(enkashTimeouts(registry)).toEqual([]);
      expect(auth.getStatus()).toMatchObject({ state: 'closed', nextRenewalAt: null });
      await sleep(waitMs);
      expect(enkashTimeouts(registry)).toEqual([]);
      expect(simulator.stats.tokenRequests).toBe(tokenRequests);
      expect(loggedSinceClose()).toEqual([]);
      await expectNothingLeftAfterSimulatorCloses();
    }

    it('when a renewal was scheduled', async () => {
      simulator.setTokenLifetime(2); // renewed from 1.25 to 1.5 s in
      const { auth, moduleRef } = await boot({}, [ScheduleModule.forRoot()]);
      const registry = moduleRef.get(SchedulerRegistry);
      await auth.getAccessToken();
      expect(enkashTimeouts(registry)).toEqual([ENKASH_TOKEN_RENEWAL_TIMEOUT]);

      // Past the renewal.
      await closeAndExpectNoTimeoutLeft(auth, registry, { waitMs: 1_300, tokenRequests: 1 });
    });

    it('when a retry was scheduled', async () => {
      simulator.injectFault({ kind: 'server-error' }, { times: Infinity });
      const { auth, moduleRef } = await boot({}, [ScheduleModule.forRoot()]);
      const registry = moduleRef.get(SchedulerRegistry);
      await watch.settle(auth.getAccessToken({ waitMs: 0 }));
      expect(auth.getStatus().state).toBe('retrying');
      expect(enkashTimeouts(registry)).toEqual([ENKASH_TOKEN_RENEWAL_TIMEOUT]);

      // Past the retry.
      await closeAndExpectNoTimeoutLeft(auth, registry, { waitMs: 1_300, tokenRequests: 1 });
    });

    it('when a renewal was under way', async () => {
      simulator.setTokenLifetime(2); // renewed from 1.25 to 1.5 s in
      simulator.injectFault({ kind: 'delay', ms: 800 }, { grant: 'refresh_token' });
      const { auth, moduleRef } = await boot({}, [ScheduleModule.forRoot()]);
      const registry = moduleRef.get(SchedulerRegistry);
      await auth.getAccessToken();
      await until(() => simulator.stats.refreshGrants === 1, 2_000, 'the refresh grant is sent');

      // Past the delayed answer, which would have scheduled the next renewal.
      await closeAndExpectNoTimeoutLeft(auth, registry, { waitMs: 1_000, tokenRequests: 2 });
    });
  });
});

/** How long a child may take to exit after it reported that its app is closed. */
const CHILD_EXIT_LIMIT_MS = 5_000;

/** How long a child may take to close its app once told to: close() is prompt, the rest is a process on a busy machine. */
const CHILD_CLOSE_LIMIT_MS = 2_000;

describe('a child process that boots, fetches a token and closes its app', () => {
  let outputDirectory: string;
  let fixtureScript: string;
  let simulator: EnkashSimulator;
  let child: FixtureProcess | undefined;

  beforeAll(async () => {
    outputDirectory = await compileChildFixtures('shutdown');
    fixtureScript = join(outputDirectory, 'test', 'fixtures', 'boot-fetch-close.js');
  }, 60_000);

  afterAll(async () => {
    if (outputDirectory !== undefined) await removeChildFixtures(outputDirectory);
  });

  beforeEach(async () => {
    simulator = await startEnkashSimulator();
  });

  afterEach(async () => {
    child?.kill();
    child = undefined;
    await simulator.close();
  });

  function startChild(mode: 'fetch' | 'close-while-waiting'): FixtureProcess {
    child = new FixtureProcess(
      fixtureScript,
      childEnvironment({ ...environmentFor(simulator), SHUTDOWN_FIXTURE_MODE: mode }),
    );
    return child;
  }

  /** Waits for the child to exit by itself after `closedAt`; kills it and fails after the limit. */
  async function expectExitByItself(fixture: FixtureProcess, closedAt: number): Promise<void> {
    const exit = await within(
      fixture.exited,
      CHILD_EXIT_LIMIT_MS,
      `the child still runs ${CHILD_EXIT_LIMIT_MS} ms after closing its app. stdout:\n${fixture.stdout}\nstderr:\n${fixture.stderr}`,
    ).catch((error: unknown) => {
      fixture.kill();
      throw error;
    });
    expect({ code: exit.code, signal: exit.signal, stderr: fixture.stderr }).toEqual({
      code: 0,
      signal: null,
      stderr: '',
    });
    expect(exit.at - closedAt).toBeLessThan(CHILD_EXIT_LIMIT_MS);
    // Nothing was logged after the app closed.
    expect(fixture.outputAfterClosed()).toBe('');
    const output = fixture.stdout + fixture.stderr;
    const leaked = secretsOfSimulator(simulator).filter(
      ({ value }) => value !== '' && output.includes(value),
    );
    expect(leaked.map(({ name }) => name)).toEqual([]);
  }

  it('exits by itself once its app is closed', async () => {
    const fixture = startChild('fetch');

    expect((await fixture.report('fetched', 15_000)).report).toMatchObject({ status: 200 });
    const { at: closedAt } = await fixture.report('closed', CHILD_CLOSE_LIMIT_MS);
    await expectExitByItself(fixture, closedAt);
    expect(simulator.tokenRequests.map((request) => request.grantType)).toEqual(['password']);
    expect(simulator.resourceCalls.map((call) => call.path)).toEqual([BALANCE]);
  });

  it('exits by itself when its app is closed while the token request hangs', async () => {
    simulator.injectFault({ kind: 'hang' }, { times: Infinity });
    const fixture = startChild('close-while-waiting');
    await fixture.report('waiting', 15_000);
    await until(() => simulator.stats.tokenRequests === 1, 2_000, 'the token request arrives');

    fixture.signal('SIGUSR2');

    const { report, at: closedAt } = await fixture.report('closed', CHILD_CLOSE_LIMIT_MS);
    expect(report).toMatchObject({
      token: 'EnkashAuthError:network',
      call: 'EnkashHttpError:ERR_CANCELED',
    });
    await expectExitByItself(fixture, closedAt);
    expect(simulator.stats.tokenRequests).toBe(1);
    expect(simulator.stats.resourceRequests).toBe(0);
  });
});
