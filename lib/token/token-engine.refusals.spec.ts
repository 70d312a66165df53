import { describe, expect, it, jest } from '@jest/globals';
import {
  advance,
  flush,
  renewalAfterMs,
  useEngineTiming,
} from '../../test/support/engine-timing.js';
import { engine, grants, logger } from '../../test/support/engine-timing.js';
import { token } from '../../test/support/scripted-grants.js';
import { rateLimited } from '../../test/support/token-errors.js';

// The token engine's timing when EnKash refuses the token it holds (a 401 on a resource call).

describe('TokenEngine timing', () => {
  useEngineTiming();

  describe('when EnKash refuses the current token', () => {
    it('re-acquires with the password grant once for many concurrent refusals', async () => {
      const refused = await engine.getAccessToken();
      await advance(60_000);
      grants.latencyMs = 20;
      for (let i = 0; i < 50; i += 1) engine.invalidate(refused);
      const next = engine.getAccessToken();
      await advance(20);
      expect(await next).toBe('access-2');
      expect(grants.calls.map((call) => call.grant)).toEqual(['password', 'password']);

      engine.invalidate(refused); // a late 401 for the old token changes nothing
      expect(grants.calls).toHaveLength(2);
    });

    it('waits until a second after the previous request before re-acquiring a token refused at once', async () => {
      const first = await engine.getAccessToken();
      await advance(200);
      engine.invalidate(first);
      const second = engine.getAccessToken();
      await advance(799);
      expect(grants.calls).toHaveLength(1);
      await advance(1);
      expect(await second).toBe('access-2');

      await advance(5_000);
      engine.invalidate('access-2'); // refused long after it was obtained: re-acquired at once
      await flush();
      expect(grants.calls).toHaveLength(3);
    });

    it('stops re-acquiring, with a growing pause, when EnKash hands back the very token it refuses', async () => {
      // The token endpoint hands the same token back, each time it is asked.
      grants.answers.password.push(...Array.from({ length: 3 }, () => token(86_399, 'same')));
      await engine.getAccessToken();
      await advance(10_000);

      engine.invalidate('same'); // EnKash refused it; the token endpoint hands it back
      expect(await engine.getAccessToken()).toBe('same');
      expect(grants.calls).toHaveLength(2);

      for (let i = 0; i < 20; i += 1) engine.invalidate('same'); // within the 1 s pause: passed on to callers
      expect(engine.currentToken()).toBe('same');
      expect(grants.calls).toHaveLength(2);

      await advance(1_000);
      engine.invalidate('same');
      expect(await engine.getAccessToken()).toBe('same');
      expect(grants.calls).toHaveLength(3);
      await advance(1_999); // the pause doubled
      engine.invalidate('same');
      expect(grants.calls).toHaveLength(3);
      expect(logger.warn.mock.calls.map(([message]) => String(message)).join('\n')).toMatch(
        /the 401 is not about the token/,
      );
    });

    it('rejects callers waiting on a delayed re-acquisition when closed', async () => {
      engine.invalidate(await engine.getAccessToken());
      const waiting = engine.getAccessToken();
      engine.close();
      await expect(waiting).rejects.toMatchObject({ code: 'network' });
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  it('keeps a Retry-After when EnKash refuses a token', async () => {
    grants.answers.password.push(token(600, 'access-a'));
    grants.answers.refresh_token.push(rateLimited(60_000));
    await engine.getAccessToken();
    await advance(renewalAfterMs(600)); // the renewal meets a 429 asking for a minute
    engine.invalidate('access-a');
    await advance(59_999);
    expect(grants.calls).toHaveLength(2);
    await advance(1);
    expect(grants.calls.map((call) => call.grant)).toEqual([
      'password',
      'refresh_token',
      'password',
    ]);
  });
});
