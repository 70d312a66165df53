import 'reflect-metadata';
import { afterEach, expect } from '@jest/globals';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import {
  ENKASH_TOKEN_RENEWAL_TIMEOUT,
  EnkashAuthError,
  EnkashAuthModule,
  EnkashAuthService,
  EnkashHttpService,
} from '../../lib/index.js';
import type { EnkashAuthErrorCode } from '../../lib/index.js';
import { startEnkashSimulator } from '../../lib/testing/index.js';
import type { EnkashSimulator, EnkashSimulatorGrant } from '../../lib/testing/index.js';
import { optionsFor } from '../support/enkash-app.js';
import { SecretWatch, secretsOfSimulator } from '../support/secret-watch.js';
import { SwitchableProxy } from '../support/switchable-proxy.js';
import { until } from '../support/waiting.js';

export { until };

/** The EnKash API path every call of the matrix goes to. */
export const BALANCE = '/api/v0/payout-account/balance';

/** `tokenRequestTimeoutMs` of the matrix: a hanging token request gives up after this long. */
export const TOKEN_TIMEOUT_MS = 400;

/** `Retry-After` of the 429 row, in seconds. */
export const RETRY_AFTER_SECONDS = 2;

/** How long a caller may wait for an answer when the token endpoint fails at once (no hang). */
export const PROMPT_MS = 500;

/** What one call through `EnkashHttpService` came to, as its caller sees it. */
export type CallOutcome =
  | { ok: true; status: number; ms: number }
  | { ok: false; error: unknown; code: string | undefined; ms: number };

/** One application wired to a simulator through a switchable proxy, with every log line captured. */
export interface FaultBed {
  readonly simulator: EnkashSimulator;
  readonly proxy: SwitchableProxy;
  readonly app: TestingModule;
  readonly auth: EnkashAuthService;
  readonly http: EnkashHttpService;
  readonly watch: SecretWatch;
  /** One call to EnKash through `EnkashHttpService`; its error, if any, is kept for the secret scan. */
  call(): Promise<CallOutcome>;
  /** Token requests the simulator received, by grant. */
  grants(): { password: number; refresh: number };
  /** When the engine reported each failed token request (`events$`), in `Date.now()` milliseconds. */
  failuresAt(): readonly number[];
  /** Simulates a suspended process: the scheduled renewal never fires. */
  dropRenewalTimer(): void;
  /** Closes everything and checks that no secret showed up in a log line or an error. */
  close(): Promise<void>;
}

/** Boots the app, pointed at the proxy, every log line going to `watch`. */
async function bootBehind(
  proxy: SwitchableProxy,
  simulator: EnkashSimulator,
  watch: SecretWatch,
): Promise<TestingModule> {
  const app = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      EnkashAuthModule.forRoot(
        optionsFor(simulator, {
          baseUrl: proxy.url,
          tokenRequestTimeoutMs: TOKEN_TIMEOUT_MS,
          requestTimeoutMs: 5_000,
        }),
      ),
    ],
  })
    .setLogger(watch)
    .compile();
  app.useLogger(watch);
  await app.init();
  return app;
}

/** The beds started and not closed yet. */
const openBeds = new Set<FaultBed>();

/** Closes, after each test of the enclosing block, every bed it started, and checks them for leaked secrets. */
export function closeFaultBedsAfterEach(): void {
  afterEach(async () => {
    const beds = [...openBeds];
    openBeds.clear();
    for (const bed of beds) await bed.close();
  });
}

/**
 * Starts a simulator, a proxy in front of it, and an app whose tokens live `lifetimeSeconds`; closed by
 * {@link closeFaultBedsAfterEach}.
 */
export async function startFaultBed(lifetimeSeconds = 86_399): Promise<FaultBed> {
  const simulator = await startEnkashSimulator({ tokenLifetimeSeconds: lifetimeSeconds });
  const proxy = await SwitchableProxy.start(simulator.port).catch(async (error: unknown) => {
    await simulator.close();
    throw error;
  });
  const watch = new SecretWatch().captureConsole();
  const app = await bootBehind(proxy, simulator, watch).catch(async (error: unknown) => {
    watch.dispose();
    await proxy.close();
    await simulator.close();
    throw error;
  });
  const auth = app.get(EnkashAuthService);
  const http = app.get(EnkashHttpService);
  const failuresAt: number[] = [];
  auth.events$.subscribe((event) => {
    if (event.type === 'failed') failuresAt.push(event.at.getTime());
  });
  let closed = false;

  const bed: FaultBed = {
    simulator,
    proxy,
    app,
    auth,
    http,
    watch,
    async call(): Promise<CallOutcome> {
      const startedAt = performance.now();
      const settled = await watch.settle(http.axiosRef.get(BALANCE));
      const ms = performance.now() - startedAt;
      if (settled.ok) return { ok: true, status: settled.value.status, ms };
      const { error } = settled;
      const code = (error as { code?: unknown }).code;
      return { ok: false, error, code: typeof code === 'string' ? code : undefined, ms };
    },
    grants: () => ({
      password: simulator.stats.passwordGrants,
      refresh: simulator.stats.refreshGrants,
    }),
    failuresAt: () => failuresAt,
    dropRenewalTimer(): void {
      app.get(SchedulerRegistry).deleteTimeout(ENKASH_TOKEN_RENEWAL_TIMEOUT);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await app.close();
      } finally {
        watch.dispose();
        await proxy.close();
        await simulator.close();
      }
      expect(watch.leaks(secretsOfSimulator(simulator))).toEqual([]);
    },
  };
  openBeds.add(bed);
  return bed;
}

/** Asserts that `outcome` is a failure with the typed {@link EnkashAuthError} of `code`, within `withinMs`. */
export function expectAuthFailure(
  outcome: CallOutcome,
  code: EnkashAuthErrorCode,
  withinMs: number,
): void {
  expect(outcome.ok).toBe(false);
  if (outcome.ok) return;
  expect(outcome.error).toBeInstanceOf(EnkashAuthError);
  expect(outcome.code).toBe(code);
  expect(outcome.ms).toBeLessThan(withinMs);
}

/** How many callers come in a burst while the token request that failed is retried. */
export const BURST_CALLERS = 10;

/**
 * One call while `fault` hits the token request it needs, then a burst of {@link BURST_CALLERS} more once the engine
 * has met the fault, which is then healed: what each caller saw. Every caller waits for the retry (due within its
 * timeout) instead of failing.
 */
export async function callThroughBlip(
  bed: FaultBed,
  fault: TransientFault,
): Promise<CallOutcome[]> {
  const failuresBefore = bed.failuresAt().length;
  const first = bed.call();
  await until(
    () => bed.failuresAt().length > failuresBefore,
    fault.failsWithinMs + PROMPT_MS,
    'the failed token request',
  );
  const burst = Array.from({ length: BURST_CALLERS }, () => bed.call());
  await fault.heal(bed);
  return Promise.all([first, ...burst]);
}

/**
 * The longest a caller may wait through `fault`: the fault's own time, one backoff step (at most a second, never
 * before its `Retry-After`), and a moment for a loaded machine.
 */
export function blipWaitLimitMs(fault: TransientFault): number {
  return fault.failsWithinMs + Math.max(FIRST_BACKOFF_CEILING_MS, fault.retryAfterMs) + PROMPT_MS;
}

/** Asserts that every caller got EnKash's answer, none later than {@link blipWaitLimitMs}. */
export function expectAllServedThroughBlip(
  outcomes: readonly CallOutcome[],
  fault: TransientFault,
): void {
  expect(outcomes).toHaveLength(BURST_CALLERS + 1);
  for (const outcome of outcomes) {
    expectSuccess(outcome);
    expect(outcome.ms).toBeLessThan(blipWaitLimitMs(fault));
  }
}

/** Asserts that the call succeeded. */
export function expectSuccess(outcome: CallOutcome): void {
  expect(outcome).toMatchObject({ ok: true, status: 200 });
}

/**
 * A fault of the token endpoint that is transient: the engine backs off and tries again. `inject` makes the next
 * token request (of `grant`, when given) fail; `heal` undoes what does not heal by itself.
 */
export interface TransientFault {
  readonly name: string;
  /** The {@link EnkashAuthError} code a caller sees. */
  readonly code: EnkashAuthErrorCode;
  /** The `Retry-After` its answer announces, in milliseconds; 0 when it announces none. */
  readonly retryAfterMs: number;
  /** How long a caller may wait before the failure reaches it. */
  readonly failsWithinMs: number;
  inject(bed: FaultBed, grant?: EnkashSimulatorGrant): void;
  /** Called once the engine has met the fault. */
  heal(bed: FaultBed): Promise<void>;
}

const healsByItself = (): Promise<void> => Promise.resolve();

/** Every transient fault of the matrix. */
export const TRANSIENT_FAULTS: readonly TransientFault[] = [
  {
    name: 'connection refused',
    code: 'network',
    retryAfterMs: 0,
    failsWithinMs: PROMPT_MS,
    inject: (bed) => bed.proxy.down(),
    heal: (bed) => bed.proxy.up(),
  },
  {
    name: 'a hang past tokenRequestTimeoutMs',
    code: 'timeout',
    retryAfterMs: 0,
    failsWithinMs: TOKEN_TIMEOUT_MS + PROMPT_MS,
    inject: (bed, grant) => bed.simulator.injectFault({ kind: 'hang' }, { grant }),
    heal: healsByItself,
  },
  {
    name: '500',
    code: 'server_error',
    retryAfterMs: 0,
    failsWithinMs: PROMPT_MS,
    inject: (bed, grant) => bed.simulator.injectFault({ kind: 'server-error' }, { grant }),
    heal: healsByItself,
  },
  {
    name: '502 with an HTML page',
    code: 'server_error',
    retryAfterMs: 0,
    failsWithinMs: PROMPT_MS,
    inject: (bed, grant) => bed.simulator.injectFault({ kind: 'bad-gateway-html' }, { grant }),
    heal: healsByItself,
  },
  {
    name: '429 with Retry-After',
    code: 'rate_limited',
    retryAfterMs: RETRY_AFTER_SECONDS * 1_000,
    failsWithinMs: PROMPT_MS,
    inject: (bed, grant) =>
      bed.simulator.injectFault(
        { kind: 'rate-limited', retryAfterSeconds: RETRY_AFTER_SECONDS },
        { grant },
      ),
    heal: healsByItself,
  },
  {
    name: 'malformed JSON',
    code: 'malformed_response',
    retryAfterMs: 0,
    failsWithinMs: PROMPT_MS,
    inject: (bed, grant) => bed.simulator.injectFault({ kind: 'malformed-json' }, { grant }),
    heal: healsByItself,
  },
  {
    name: 'a 200 without an access token',
    code: 'malformed_response',
    retryAfterMs: 0,
    failsWithinMs: PROMPT_MS,
    inject: (bed, grant) => bed.simulator.injectFault({ kind: 'no-access-token' }, { grant }),
    heal: healsByItself,
  },
];

/** Background retries come after 0.5–1 s of backoff (or `Retry-After`); this bounds the wait for one in a test. */
export function retryWithinMs(fault: TransientFault): number {
  return Math.max(fault.retryAfterMs, 1_000) + TOKEN_TIMEOUT_MS + 1_500;
}

/**
 * The README's floor for the first retry after a transient failure: "Backoff is 0.5–1 s for the first retry", half of
 * the first backoff step at the least, "never before a `Retry-After`".
 */
export const FIRST_BACKOFF_FLOOR_MS = 500;

/** The README's ceiling for the first retry after a transient failure: "0.5–1 s for the first retry". */
export const FIRST_BACKOFF_CEILING_MS = 1_000;

/**
 * The README's floor for a token request that a caller without a token brings forward: "a failing endpoint gets at
 * most one such request a second at first".
 */
export const FIRST_ON_DEMAND_SPACING_MS = 1_000;

/**
 * How much sooner a retry may seem to come than its floor: both times are whole milliseconds of `Date.now()`, and the
 * wall clock may be slewed a little against the monotonic one the engine's timer runs on.
 */
export const CLOCK_SLACK_MS = 3;

/**
 * The earliest the first retry after `fault` may reach EnKash, counted from the failure: the background retry's
 * backoff or a caller's token request, whichever may come first, and never before the fault's `Retry-After`.
 */
export function firstRetryFloorMs(fault: TransientFault): number {
  const soonest = Math.min(FIRST_BACKOFF_FLOOR_MS, FIRST_ON_DEMAND_SPACING_MS);
  return Math.max(soonest, fault.retryAfterMs);
}

/**
 * Asserts that the retry after `fault` came no sooner than {@link firstRetryFloorMs} after the engine met the fault:
 * the failure is the one the engine reported (`events$`), when the error reached it (a hang only fails once
 * `tokenRequestTimeoutMs` is up, a refused connection never reaches the simulator); the retry is the last token
 * request the simulator received.
 */
export function expectRetryNotTooSoon(bed: FaultBed, fault: TransientFault): void {
  const failures = bed.failuresAt();
  expect(failures).toHaveLength(1);
  const retryReceivedAt = bed.simulator.tokenRequests.at(-1)?.receivedAt ?? Number.NaN;
  const retryMsAfterFailure = retryReceivedAt - (failures[0] ?? Number.NaN);
  expect(retryMsAfterFailure).toBeGreaterThanOrEqual(firstRetryFloorMs(fault) - CLOCK_SLACK_MS);
}
