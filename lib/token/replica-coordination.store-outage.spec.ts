import { describe, expect, it } from '@jest/globals';
import { InMemoryTokenStore } from '../store/in-memory-token-store.js';
import { FlakyStore } from '../../test/support/flaky-store.js';
import { LATEST_RENEWAL_S } from '../../test/support/fake-token-server.js';
import { useReplicas, useSharedStore } from '../../test/support/replica-engines.js';
import { accepted, advance, replica } from '../../test/support/replica-engines.js';
import { logger, server, store } from '../../test/support/replica-engines.js';

// Replicas sharing a store that stops answering: each carries on alone, and coordinates again once it is back.

describe('several replicas of one account', () => {
  useReplicas();

  describe('with a shared store', () => {
    useSharedStore();

    it.each(['rejecting', 'hanging'] as const)(
      'renews on its own, checking with EnKash first, while the store is %s, and warns once',
      async (mode) => {
        const flaky = new FlakyStore(store);
        const alone = replica('a', { store: flaky, jitter: () => 0 });
        await alone.getAccessToken();
        flaky.mode = mode;

        await advance(LATEST_RENEWAL_S * 1000 + 2_000);
        expect(server.grants()).toEqual(['password', 'password', 'refresh_token']);
        expect(await accepted(alone)).toEqual([true]);
        await advance(LATEST_RENEWAL_S * 1000 + 2_000);
        expect(server.count('refresh_token')).toBe(2);
        const storeWarnings = logger.warn.mock.calls.filter(([line]) =>
          String(line).includes('shared token store did not answer'),
        );
        expect(storeWarnings).toHaveLength(1);
      },
    );

    it('writes its token back when the store answers again, and coordinates through it again', async () => {
      const flaky = new FlakyStore(new InMemoryTokenStore());
      const first = replica('first', { store: flaky, jitter: () => 0 });
      await first.getAccessToken();
      flaky.mode = 'rejecting';
      await advance(LATEST_RENEWAL_S * 1000);
      flaky.mode = 'up';
      // The store restarted empty; the next store operation finds it answering again.
      await advance(LATEST_RENEWAL_S * 1000);

      expect(logger.log).toHaveBeenCalledWith(expect.stringContaining('answers again'));
      const second = replica('second', { store: flaky });
      const calls = server.calls.length;
      expect(await second.getAccessToken()).toBe(await first.getAccessToken());
      expect(server.calls.length).toBe(calls);
    });
  });
});
