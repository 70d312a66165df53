// The harness of the unit specs of several replicas of one account (lib/token/replica-coordination.*.spec.ts): one
// engine a replica, on fake timers, against one fake EnKash token server, sharing a store or nothing at all.
//
// `server` and `store` are the current test's, made anew before each test. They are live bindings: a spec imports
// them once and reads, in each test, the values of that test.
import { afterEach, beforeEach, jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { resolveEnkashAuthOptions } from '../../lib/enkash-auth.options.js';
import type { EnkashServerTokenCheck } from '../../lib/interfaces/enkash-auth-options.interface.js';
import { InMemoryTokenStore } from '../../lib/store/in-memory-token-store.js';
import type { TokenStore } from '../../lib/store/token-store.interface.js';
import { RenewalTimer } from '../../lib/token/renewal-timer.js';
import { TokenEngine } from '../../lib/token/token-engine.js';
import { TokenServer } from './fake-token-server.js';
import { recordingLogger } from './recording-logger.js';
import { UNIT_REGISTRATION } from './unit-options.js';

/** The key under which the replicas share their account's token. */
export const STORE_KEY = 'account-key';

/** The current test's token server. */
export let server: TokenServer;
/** The current test's shared store, in a `describe` that calls {@link useSharedStore}. */
export let store: InMemoryTokenStore;
/** The logger of every replica; its mocks are cleared before each test. */
export const logger = recordingLogger();

let registry: SchedulerRegistry;
const engines: TokenEngine[] = [];

/**
 * Registers, in the calling `describe`, a `beforeEach` that turns on fake timers (at a fixed date) and makes a fresh
 * token server, and an `afterEach` that closes every replica made and turns real timers back on.
 */
export function useReplicas(): void {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-11-25T08:00:00Z') });
    server = new TokenServer();
    registry = new SchedulerRegistry();
    logger.log.mockClear();
    logger.warn.mockClear();
    logger.error.mockClear();
  });

  afterEach(() => {
    for (const engine of engines.splice(0)) engine.close();
    jest.useRealTimers();
  });
}

/** Registers, in the calling `describe`, a `beforeEach` that makes a fresh, empty {@link store}. */
export function useSharedStore(): void {
  beforeEach(() => {
    store = new InMemoryTokenStore();
  });
}

/** A replica named `name`: an engine of its own, sending its grants to {@link server}; closed after the test. */
export function replica(
  name: string,
  {
    store,
    jitter = Math.random,
    serverTokenCheck = 'auto',
  }: {
    store?: TokenStore;
    jitter?: () => number;
    serverTokenCheck?: EnkashServerTokenCheck;
  } = {},
): TokenEngine {
  const options = resolveEnkashAuthOptions({
    ...UNIT_REGISTRATION,
    tokenRequestTimeoutMs: 2_000,
    serverTokenCheck,
  });
  const engine = new TokenEngine({
    options,
    client: server.clientFor(name),
    timer: new RenewalTimer(registry, `enkash-auth:token-renewal:${name}`),
    logger,
    renewalJitter: jitter,
    random: () => 1,
    ...(store !== undefined ? { sharedStore: { store, key: STORE_KEY } } : {}),
  });
  engines.push(engine);
  return engine;
}

/** Advances fake time by `ms`. */
export async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

/** Each replica's token as a caller would get it, and whether EnKash accepts it. */
export async function accepted(...replicas: TokenEngine[]): Promise<boolean[]> {
  const tokens = await Promise.all(replicas.map((engine) => engine.getAccessToken()));
  return tokens.map((token) => server.accepts(token));
}
