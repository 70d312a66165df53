// The harness of the token engine's timing specs (lib/token/token-engine.*.spec.ts): one engine a test, on fake
// timers, against a scripted token endpoint.
//
// `grants`, `registry` and `engine` are the current test's, made anew before each test. They are live bindings: a
// spec imports them once and reads, in each test, the values of that test.
import { afterEach, beforeEach, jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { resolveEnkashAuthOptions } from '../../lib/enkash-auth.options.js';
import type { EnkashServerTokenCheck } from '../../lib/interfaces/enkash-auth-options.interface.js';
import { renewalDelayMs } from '../../lib/token/renewal-policy.js';
import { RenewalTimer } from '../../lib/token/renewal-timer.js';
import { TokenEngine } from '../../lib/token/token-engine.js';
import { recordingLogger } from './recording-logger.js';
import { ScriptedGrants } from './scripted-grants.js';
import { UNIT_REGISTRATION } from './unit-options.js';

/** The current test's token endpoint. */
export let grants: ScriptedGrants;
/** The current test's scheduler registry, where the engine's timer is named. */
export let registry: SchedulerRegistry;
/** The current test's engine. */
export let engine: TokenEngine;
/** The logger of every engine; its mocks are reset before each test. */
export const logger = recordingLogger();

/** Engines a test made besides {@link engine}, closed after it. */
const extraEngines: TokenEngine[] = [];

function createEngine(serverTokenCheck: EnkashServerTokenCheck = 'never'): TokenEngine {
  const options = resolveEnkashAuthOptions({
    ...UNIT_REGISTRATION,
    // A lone instance's timing, to the millisecond: no check with EnKash before a refresh grant, no jitter.
    serverTokenCheck,
  });
  return new TokenEngine({
    options,
    client: grants,
    timer: new RenewalTimer(registry, 'enkash-auth:token-renewal'),
    logger,
    random: () => 1,
    renewalJitter: () => 0,
  });
}

/**
 * Registers, in the calling `describe`, a `beforeEach` that turns on fake timers and makes a fresh token endpoint,
 * registry and engine, and an `afterEach` that closes the engine and turns real timers back on.
 */
export function useEngineTiming(): void {
  beforeEach(() => {
    jest.useFakeTimers();
    grants = new ScriptedGrants();
    registry = new SchedulerRegistry();
    logger.log.mockReset();
    logger.warn.mockReset();
    logger.error.mockReset();
    engine = createEngine();
  });

  afterEach(() => {
    engine.close();
    for (const extra of extraEngines.splice(0)) extra.close();
    jest.useRealTimers();
  });
}

/**
 * An engine on the current test's token endpoint, registry and logger that asks EnKash for its current token before
 * every refresh grant (`serverTokenCheck: 'always'`); closed after the test. Its timer has the same name as
 * {@link engine}'s: use one of the two in a test.
 */
export function engineChecking(): TokenEngine {
  const checking = createEngine('always');
  extraEngines.push(checking);
  return checking;
}

/** Lets promise callbacks run between fake-timer steps. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

/** Advances fake time by `ms`, then lets promise callbacks run. */
export async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
  await flush();
}

/** When the engines of these specs renew a token that lives `lifetimeSeconds`, counted from its request. */
export function renewalAfterMs(lifetimeSeconds: number): number {
  return renewalDelayMs(lifetimeSeconds * 1_000, 300, () => 0);
}
