import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { InMemoryTokenStore } from './in-memory-token-store.js';

const KEY = 'account-hash';
const START = new Date('2030-01-01T00:00:00Z').getTime();

describe('InMemoryTokenStore', () => {
  let store: InMemoryTokenStore;

  beforeEach(() => {
    jest.useFakeTimers({ now: START });
    store = new InMemoryTokenStore();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('get and set', () => {
    it('holds a token until it expires, then forgets it', async () => {
      const token = { accessToken: 'a1', refreshToken: 'r1', expiresAt: START + 60_000 };
      await expect(store.set(KEY, token)).resolves.toBe(true);
      await expect(store.get(KEY)).resolves.toEqual(token);

      jest.advanceTimersByTime(59_999);
      await expect(store.get(KEY)).resolves.toEqual(token);
      jest.advanceTimersByTime(1);
      await expect(store.get(KEY)).resolves.toBeUndefined();
    });

    it('answers undefined for a key it never held, and keeps keys apart', async () => {
      await store.set(KEY, { accessToken: 'a1', expiresAt: START + 60_000 });
      await expect(store.get('other-account')).resolves.toBeUndefined();
    });

    it('keeps a token without refresh token as it is, without a refreshToken property', async () => {
      await store.set(KEY, { accessToken: 'a1', expiresAt: START + 60_000 });
      const held = await store.get(KEY);
      expect(held).toEqual({ accessToken: 'a1', expiresAt: START + 60_000 });
      expect(held).not.toHaveProperty('refreshToken');
    });

    it('hands out copies: changing what get answered or what set was given changes nothing held', async () => {
      const given = { accessToken: 'a1', expiresAt: START + 60_000, extra: 'not stored' };
      await store.set(KEY, given);
      given.accessToken = 'changed';
      const held = (await store.get(KEY)) as { accessToken: string };
      held.accessToken = 'changed too';
      await expect(store.get(KEY)).resolves.toEqual({
        accessToken: 'a1',
        expiresAt: START + 60_000,
      });
    });

    it('refuses a token that has already expired, and writes nothing', async () => {
      await expect(store.set(KEY, { accessToken: 'old', expiresAt: START })).resolves.toBe(false);
      await expect(store.set(KEY, { accessToken: 'old', expiresAt: START - 1 })).resolves.toBe(
        false,
      );
      await expect(store.set(KEY, { accessToken: 'nan', expiresAt: Number.NaN })).resolves.toBe(
        false,
      );
      await expect(store.get(KEY)).resolves.toBeUndefined();
    });

    it('keeps the token that lives longer: a late writer with an older token loses', async () => {
      await store.set(KEY, { accessToken: 'newer', expiresAt: START + 60_000 });
      await expect(
        store.set(KEY, { accessToken: 'older', expiresAt: START + 30_000 }),
      ).resolves.toBe(false);
      expect((await store.get(KEY))?.accessToken).toBe('newer');

      await expect(
        store.set(KEY, { accessToken: 'newest', expiresAt: START + 90_000 }),
      ).resolves.toBe(true);
      expect((await store.get(KEY))?.accessToken).toBe('newest');
    });

    it('writes a token that expires with the held one: a renewal within the same millisecond', async () => {
      await store.set(KEY, { accessToken: 'first', expiresAt: START + 60_000 });
      const listener = jest.fn();
      store.onTokenWritten(KEY, listener);
      await expect(
        store.set(KEY, { accessToken: 'renewed', expiresAt: START + 60_000 }),
      ).resolves.toBe(true);
      expect((await store.get(KEY))?.accessToken).toBe('renewed');
      expect(listener).toHaveBeenCalledTimes(1);
    });

    it('replaces an expired token with any live one, even a shorter-lived one', async () => {
      await store.set(KEY, { accessToken: 'first', expiresAt: START + 60_000 });
      jest.advanceTimersByTime(60_000);
      await expect(
        store.set(KEY, { accessToken: 'second', expiresAt: Date.now() + 1_000 }),
      ).resolves.toBe(true);
      expect((await store.get(KEY))?.accessToken).toBe('second');
    });
  });

  describe('onTokenWritten', () => {
    it('tells every listener of the key after a write, never from inside set', async () => {
      const heard: string[] = [];
      store.onTokenWritten(KEY, () => heard.push('first'));
      store.onTokenWritten(KEY, () => heard.push('second'));
      store.onTokenWritten('other-account', () => heard.push('other'));

      const writing = store.set(KEY, { accessToken: 'a1', expiresAt: START + 60_000 });
      expect(heard).toEqual([]);
      await writing;
      expect(heard).toEqual(['first', 'second']);
    });

    it('runs listeners with fake timers, without advancing them', async () => {
      const listener = jest.fn();
      store.onTokenWritten(KEY, listener);
      await store.set(KEY, { accessToken: 'a1', expiresAt: START + 60_000 });
      expect(listener).toHaveBeenCalledTimes(1);
    });

    it('says nothing when set did not write', async () => {
      await store.set(KEY, { accessToken: 'newer', expiresAt: START + 60_000 });
      const listener = jest.fn();
      store.onTokenWritten(KEY, listener);
      await store.set(KEY, { accessToken: 'older', expiresAt: START + 30_000 });
      await store.set(KEY, { accessToken: 'expired', expiresAt: START });
      await Promise.resolve();
      expect(listener).not.toHaveBeenCalled();
    });

    it('stops calling a listener once unsubscribed, even for a write already under way', async () => {
      const stopped = jest.fn();
      const kept = jest.fn();
      const unsubscribe = store.onTokenWritten(KEY, stopped);
      store.onTokenWritten(KEY, kept);

      const writing = store.set(KEY, { accessToken: 'a1', expiresAt: START + 60_000 });
      unsubscribe();
      unsubscribe();
      await writing;
      await store.set(KEY, { accessToken: 'a2', expiresAt: START + 90_000 });

      expect(stopped).not.toHaveBeenCalled();
      expect(kept).toHaveBeenCalledTimes(2);
    });

    it('counts one listener added twice as two, each stopped on its own', async () => {
      const listener = jest.fn();
      const stopFirst = store.onTokenWritten(KEY, listener);
      store.onTokenWritten(KEY, listener);
      stopFirst();
      await store.set(KEY, { accessToken: 'a1', expiresAt: START + 60_000 });
      expect(listener).toHaveBeenCalledTimes(1);
    });

    it('lets a throwing or rejecting listener break neither the others nor set', async () => {
      const kept = jest.fn();
      store.onTokenWritten(KEY, () => {
        throw new Error('listener bug');
      });
      store.onTokenWritten(KEY, (async () => {
        throw new Error('async listener bug');
      }) as () => void);
      store.onTokenWritten(KEY, kept);

      await expect(store.set(KEY, { accessToken: 'a1', expiresAt: START + 60_000 })).resolves.toBe(
        true,
      );
      expect(kept).toHaveBeenCalledTimes(1);
    });
  });

  describe('renewal lock', () => {
    it('refuses the lock to another owner while it is held, and gives it to them once released', async () => {
      await expect(store.acquireLock(KEY, 'instance-a', 10_000)).resolves.toBe(true);
      await expect(store.acquireLock(KEY, 'instance-b', 10_000)).resolves.toBe(false);
      await expect(store.acquireLock('other-account', 'instance-b', 10_000)).resolves.toBe(true);

      await store.releaseLock(KEY, 'instance-a');
      await expect(store.acquireLock(KEY, 'instance-b', 10_000)).resolves.toBe(true);
    });

    it('gives the lock again to its holder, for a new ttl', async () => {
      await store.acquireLock(KEY, 'instance-a', 10_000);
      jest.advanceTimersByTime(9_000);
      await expect(store.acquireLock(KEY, 'instance-a', 10_000)).resolves.toBe(true);
      jest.advanceTimersByTime(9_000);
      await expect(store.acquireLock(KEY, 'instance-b', 10_000)).resolves.toBe(false);
    });

    it('leaves the lock held when someone else releases it', async () => {
      await store.acquireLock(KEY, 'instance-a', 10_000);
      await store.releaseLock(KEY, 'instance-b');
      await expect(store.acquireLock(KEY, 'instance-b', 10_000)).resolves.toBe(false);
    });

    it('lets the lock expire after its ttl, and then another owner takes it', async () => {
      await store.acquireLock(KEY, 'instance-a', 10_000);
      jest.advanceTimersByTime(9_999);
      await expect(store.acquireLock(KEY, 'instance-b', 10_000)).resolves.toBe(false);
      jest.advanceTimersByTime(1);
      await expect(store.acquireLock(KEY, 'instance-b', 10_000)).resolves.toBe(true);
    });

    it('does not let a former holder release the lock after it expired and passed on', async () => {
      await store.acquireLock(KEY, 'instance-a', 10_000);
      jest.setSystemTime(START + 10_000);
      await store.acquireLock(KEY, 'instance-b', 10_000);
      await store.releaseLock(KEY, 'instance-a');
      await expect(store.acquireLock(KEY, 'instance-c', 10_000)).resolves.toBe(false);
    });

    it('rejects a lock ttl that Redis would refuse too', async () => {
      for (const ttlMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(store.acquireLock(KEY, 'instance-a', ttlMs)).rejects.toThrow(RangeError);
      }
      await expect(store.acquireLock(KEY, 'instance-b', 1)).resolves.toBe(true);
    });
  });
});
