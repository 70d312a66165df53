import { describe, expect, it, jest } from '@jest/globals';
import { advance, renewalAfterMs, useEngineTiming } from '../../test/support/engine-timing.js';
import { engine, grants, registry } from '../../test/support/engine-timing.js';
import { token } from '../../test/support/scripted-grants.js';

// The token engine's timing on the happy path: when it renews, how it counts a lifetime, how callers share a
// request, and what close() ends.

describe('TokenEngine timing', () => {
  useEngineTiming();

  it('renews the token with the refresh grant 5 minutes before expiry', async () => {
    await engine.getAccessToken();
    expect(registry.getTimeouts()).toEqual(['enkash-auth:token-renewal']);

    await advance((86_399 - 300) * 1000 - 1);
    expect(grants.count('refresh_token')).toBe(0);

    await advance(1);
    expect(grants.calls).toEqual([
      { grant: 'password' },
      { grant: 'refresh_token', refreshToken: 'refresh-1' },
    ]);
    expect(await engine.getAccessToken()).toBe('access-2');
  });

  describe('while a refresh grant is under way', () => {
    it('has callers wait for the new token, since EnKash may already have revoked the held one', async () => {
      grants.answers.password.push(token(600, 'old'));
      grants.answers.refresh_token.push(token(600, 'new'));
      await engine.getAccessToken();
      grants.latencyMs = 200;
      await advance(renewalAfterMs(600)); // the renewal is sent
      expect(grants.count('refresh_token')).toBe(1);
      expect(engine.readyToken()).toBeUndefined();
      expect(engine.currentToken()).toBe('old');

      const during = engine.getAccessToken();
      await advance(200);
      expect(await during).toBe('new');
      expect(engine.readyToken()).toBe('new');
    });

    it('hands out the held token after a second when the token endpoint is slow', async () => {
      grants.answers.password.push(token(600, 'old'));
      await engine.getAccessToken();
      grants.latencyMs = 5_000;
      await advance(renewalAfterMs(600));
      const during = engine.getAccessToken();
      let settled: string | undefined;
      void during.then((value) => (settled = value));
      await advance(999);
      expect(settled).toBeUndefined();
      await advance(1);
      expect(settled).toBe('old');
    });
  });

  it('counts the lifetime from when the request was sent, not from when the answer came', async () => {
    grants.latencyMs = 3_000;
    const first = engine.getAccessToken();
    await advance(3_000);
    await first;

    await advance((86_399 - 300) * 1000 - 3_000 - 1);
    expect(grants.count('refresh_token')).toBe(0);
    await advance(1);
    expect(grants.count('refresh_token')).toBe(1);
  });

  it('renews a short-lived token no earlier than three quarters into its life', async () => {
    grants.answers.password.push(token(4));
    grants.answers.refresh_token.push(token(4, 'access-b'), token(4, 'access-c'));
    await engine.getAccessToken();

    await advance(2_999);
    expect(grants.count('refresh_token')).toBe(0);
    await advance(1);
    expect(grants.count('refresh_token')).toBe(1);

    // One renewal per three quarters of a lifetime, not a storm.
    await advance(2_999);
    expect(grants.count('refresh_token')).toBe(1);
    await advance(1);
    expect(grants.count('refresh_token')).toBe(2);
  });

  it('does not fire early when the renewal is further away than setTimeout can wait', async () => {
    grants.answers.password.push(token(60 * 24 * 3600)); // 60 days
    await engine.getAccessToken();

    await advance(2 ** 31 - 1); // ~24.8 days
    expect(grants.count('refresh_token')).toBe(0);
    await advance(60 * 24 * 3600 * 1000 - 300_000 - (2 ** 31 - 1) - 1);
    expect(grants.count('refresh_token')).toBe(0);
    await advance(1);
    expect(grants.count('refresh_token')).toBe(1);
  });

  it('shares one token request among 100 concurrent cold callers', async () => {
    grants.latencyMs = 50;
    const callers = Array.from({ length: 100 }, () => engine.getAccessToken());
    await advance(50);
    const tokens = await Promise.all(callers);
    expect(new Set(tokens)).toEqual(new Set(['access-1']));
    expect(grants.calls).toHaveLength(1);
  });

  it('clears its timer and rejects callers once closed', async () => {
    await engine.getAccessToken();
    expect(jest.getTimerCount()).toBe(1);
    engine.close();
    await expect(engine.getAccessToken()).rejects.toMatchObject({ code: 'network' });
    expect(jest.getTimerCount()).toBe(0);
    expect(registry.getTimeouts()).toEqual([]);
    expect(grants.closed).toBe(true);
    expect(engine.getStatus().state).toBe('closed');
  });
});
