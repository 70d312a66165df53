import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { resolveEnkashAuthOptions } from '../enkash-auth.options.js';
import { recordingLogger } from '../../test/support/recording-logger.js';
import { ScriptedGrants, token } from '../../test/support/scripted-grants.js';
import { serverError } from '../../test/support/token-errors.js';
import { UNIT_REGISTRATION } from '../../test/support/unit-options.js';
import { RenewalTimer } from './renewal-timer.js';
import { TokenEngine } from './token-engine.js';

// How many token requests a token costs over many lifetimes, with the default settings: about one per lifetime,
// whatever the lifetime. Each extra refresh grant is an extra revocation, so an extra chance for a call in flight to
// meet a 401.

const LIFETIMES = 100;

let engine: TokenEngine | undefined;

/** An engine on `grants` that always waits the longest backoff, and draws `renewalJitter`. */
function startEngine(grants: ScriptedGrants, renewalJitter: () => number): TokenEngine {
  engine = new TokenEngine({
    options: resolveEnkashAuthOptions({ ...UNIT_REGISTRATION, serverTokenCheck: 'never' }),
    client: grants,
    timer: new RenewalTimer(new SchedulerRegistry(), 'enkash-auth:token-renewal'),
    logger: recordingLogger(),
    random: () => 1,
    renewalJitter,
  });
  return engine;
}

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  engine?.close();
  engine = undefined;
  jest.useRealTimers();
});

describe('token requests per lifetime, over 100 lifetimes', () => {
  /** Runs an engine for 100 lifetimes of `lifetimeSeconds` tokens; the token requests it sent, per lifetime. */
  async function requestsPerLifetime(
    lifetimeSeconds: number,
    renewalJitter: () => number,
  ): Promise<number> {
    const grants = new ScriptedGrants();
    grants.lifetimeSeconds = lifetimeSeconds;
    // EnKash answers in a fifth of a second (or a fifth of a short token's life): the lifetime counts from the send.
    grants.latencyMs = Math.min(200, lifetimeSeconds * 200);
    const engine = startEngine(grants, renewalJitter);
    const first = engine.getAccessToken();
    await jest.advanceTimersByTimeAsync(grants.latencyMs);
    await first;
    await jest.advanceTimersByTimeAsync(LIFETIMES * lifetimeSeconds * 1_000);
    expect(grants.count('password')).toBe(1);
    return grants.calls.length / LIFETIMES;
  }

  const earliestRenewal = (): number => 1;

  it.each([60, 300, 3_600, 86_399])(
    'is at most 1.15 for %i-second tokens, however the jitter falls',
    async (lifetimeSeconds) => {
      const perLifetime = await requestsPerLifetime(lifetimeSeconds, earliestRenewal);
      expect(perLifetime).toBeGreaterThanOrEqual(1);
      expect(perLifetime).toBeLessThanOrEqual(1.15);
    },
  );

  it.each([60, 300, 3_600, 86_399])(
    'is at most 1.15 for %i-second tokens with random jitter',
    async (lifetimeSeconds) => {
      const perLifetime = await requestsPerLifetime(lifetimeSeconds, Math.random);
      expect(perLifetime).toBeGreaterThanOrEqual(1);
      expect(perLifetime).toBeLessThanOrEqual(1.15);
    },
  );

  it('is at most 2 for 2.5-second tokens', async () => {
    const perLifetime = await requestsPerLifetime(2.5, earliestRenewal);
    expect(perLifetime).toBeGreaterThan(1);
    expect(perLifetime).toBeLessThanOrEqual(2);
  });
});

describe('the renewal margin of a one-minute token', () => {
  it('leaves room for three backoff retries at their longest before the token expires', async () => {
    const grants = new ScriptedGrants();
    grants.latencyMs = 100;
    grants.answers.password.push(token(60, 'minute-1'), serverError(), token(60, 'minute-2'));
    grants.answers.refresh_token.push(...Array.from({ length: 5 }, serverError));
    // The latest renewal the jitter allows.
    const engine = startEngine(grants, () => 0);
    const first = engine.getAccessToken();
    const sentAt = Date.now();
    await jest.advanceTimersByTimeAsync(100);
    expect(await first).toBe('minute-1');

    // The renewal and three retries, each after the longest backoff (1 s, 2 s, 4 s), answered before expiry. The
    // second retry would come after the token's last handed-out moment: the refresh grant that keeps failing gives
    // way to the password grant.
    await jest.advanceTimersByTimeAsync(60_000 - 100 - 1);
    expect(grants.calls.map((call) => call.grant)).toEqual([
      'password',
      'refresh_token',
      'refresh_token',
      'password',
      'password',
    ]);
    expect(grants.sentAt.at(-1)! + grants.latencyMs - sentAt).toBeLessThan(60_000);
    expect(engine.currentToken()).toBe('minute-2');
  });
});
