import { describe, expect, it } from '@jest/globals';
import { EARLIEST_RENEWAL_S, LATEST_RENEWAL_S } from '../../test/support/fake-token-server.js';
import { LIFETIME_S } from '../../test/support/fake-token-server.js';
import { accepted, advance, replica, useReplicas } from '../../test/support/replica-engines.js';
import { logger, server } from '../../test/support/replica-engines.js';
import { badCredentials, serverError } from '../../test/support/token-errors.js';
import type { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type { TokenEngine } from './token-engine.js';

// Replicas that share no store: each checks with EnKash before spending the refresh grant, and the jitter spreads
// their renewals.

describe('several replicas of one account', () => {
  useReplicas();

  describe('without a shared store', () => {
    /** A lone instance that checks before every refresh grant, once its renewal came and the check failed so. */
    async function renewedWhileTheCheckFails(failure: EnkashAuthError): Promise<TokenEngine> {
      const alone = replica('a', { jitter: () => 0, serverTokenCheck: 'always' });
      await alone.getAccessToken();
      server.passwordFailures.push(failure);
      await advance(LATEST_RENEWAL_S * 1000);
      return alone;
    }

    it('renews a lone instance with the refresh grant alone, without an extra login', async () => {
      const alone = replica('a', { jitter: () => 0 });
      await alone.getAccessToken();
      await advance(LATEST_RENEWAL_S * 1000);
      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual(['password', 'refresh_token', 'refresh_token']);
    });

    it('checks before every refresh grant once EnKash refused a token of its own before it expired', async () => {
      const first = replica('first', { jitter: () => 0 });
      const second = replica('second', { jitter: () => 1 });
      const stale = await first.getAccessToken();
      await second.getAccessToken();
      await second.refresh(); // a replica renews; EnKash revokes first's token
      first.invalidate(stale); // ...and first meets a 401
      await advance(1_000);
      expect(await accepted(first, second)).toEqual([true, true]);
      expect(server.grants()).toEqual(['password', 'password', 'refresh_token', 'password']);

      // second renews first, 450 s before expiry, unchecked; first checks and adopts its token.
      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants().slice(4)).toEqual(['refresh_token', 'password']);
      expect(await accepted(first, second)).toEqual([true, true]);
    });

    it('goes back to plain refresh grants after three renewals without a refusal, and says when and why', async () => {
      const alone = replica('a', { jitter: () => 0 });
      alone.invalidate(await alone.getAccessToken()); // a refusal: another replica may renew this account
      await advance(1_000);
      expect(server.grants()).toEqual(['password', 'password']);
      expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('with the password grant'));

      // Three renewals check EnKash's current token first (it hands back ours), then spend the refresh grant...
      for (let renewal = 1; renewal <= 3; renewal += 1) await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants().slice(2)).toEqual([
        'password',
        'refresh_token',
        'password',
        'refresh_token',
        'password',
        'refresh_token',
      ]);
      const lines = logger.log.mock.calls.map(([line]) => String(line));
      expect(
        lines.filter((line) => line.includes('before the refresh grant: it refused')),
      ).toHaveLength(3);
      expect(lines).toContainEqual(
        expect.stringContaining('renewing with the refresh grant alone again'),
      );

      // ...and the ones after, with nothing refused, the refresh grant alone.
      await advance(LATEST_RENEWAL_S * 1000);
      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants().slice(8)).toEqual(['refresh_token', 'refresh_token']);
      expect(await accepted(alone)).toEqual([true]);
    });

    it('asks EnKash for its current token before a refresh grant, and refreshes when it is still ours', async () => {
      const alone = replica('a', { jitter: () => 0, serverTokenCheck: 'always' });
      await alone.getAccessToken();
      expect(server.grants()).toEqual(['password']);

      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual(['password', 'password', 'refresh_token']);
      expect(await accepted(alone)).toEqual([true]);
    });

    it('adopts the token another replica renewed instead of revoking it with a refresh grant of its own', async () => {
      const first = replica('first', { jitter: () => 1, serverTokenCheck: 'always' }); // 450 s before expiry
      const second = replica('second', { jitter: () => 0, serverTokenCheck: 'always' }); // 300 s before
      await first.getAccessToken();
      await second.getAccessToken();
      expect(await second.getAccessToken()).toBe(await first.getAccessToken());

      await advance(EARLIEST_RENEWAL_S * 1000);
      expect(server.count('refresh_token')).toBe(1);
      await advance((LATEST_RENEWAL_S - EARLIEST_RENEWAL_S) * 1000);
      expect(server.count('password', 'second')).toBe(2);

      expect(server.count('refresh_token', 'second')).toBe(0);
      expect(server.count('refresh_token')).toBe(1);
      expect(await accepted(first, second)).toEqual([true, true]);
    });

    it('keeps three replicas to one refresh grant per token lifetime, day after day', async () => {
      const replicas = ['a', 'b', 'c'].map((name) => replica(name, { serverTokenCheck: 'always' }));
      for (const engine of replicas) await engine.getAccessToken();
      await advance(24 * LATEST_RENEWAL_S * 1000);

      // The first replica to renew spends the refresh grant; the others find its token with a password grant.
      expect(server.count('refresh_token')).toBeGreaterThanOrEqual(24);
      expect(Math.min(...server.refreshGaps())).toBeGreaterThanOrEqual(EARLIEST_RENEWAL_S - 1);
      expect(await accepted(...replicas)).toEqual([true, true, true]);
    });

    it('gives the check up after EnKash refuses the password once, and renews with the refresh grant all the same', async () => {
      const alone = replica('a', { jitter: () => 0, serverTokenCheck: 'always' });
      await alone.getAccessToken();
      server.passwordFailures.push(badCredentials());

      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual([
        'password',
        'password', // refused: one failed login
        'refresh_token',
      ]);
      expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('without that check'));
      expect(logger.error).not.toHaveBeenCalled();

      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants().slice(3)).toEqual(['refresh_token']);
      expect(await accepted(alone)).toEqual([true]);
      expect(alone.getStatus().state).toBe('valid');
    });

    it('sends no other password grant of its own after the check was refused: a 401 fails with that error', async () => {
      const alone = await renewedWhileTheCheckFails(badCredentials());
      alone.invalidate(await alone.getAccessToken());
      await advance(5_000);

      // One failed login in all: the check. The 401 sent no password grant.
      expect(server.grants()).toEqual(['password', 'password', 'refresh_token']);
      await expect(alone.getAccessToken()).rejects.toMatchObject({ code: 'invalid_credentials' });
      expect(alone.getStatus().state).toBe('locked_out');
    });

    it('retries later with backoff when the check fails for a transient reason, without spending the refresh grant', async () => {
      const alone = await renewedWhileTheCheckFails(serverError());
      expect(server.count('refresh_token')).toBe(0);
      expect(alone.getStatus()).toMatchObject({
        consecutiveFailures: 1,
        lastErrorCode: 'server_error',
      });
      expect(await accepted(alone)).toEqual([true]);

      await advance(1_000);
      expect(server.grants()).toEqual(['password', 'password', 'password', 'refresh_token']);
    });

    it('never checks when told so, even after a 401', async () => {
      const alone = replica('a', { jitter: () => 0, serverTokenCheck: 'never' });
      alone.invalidate(await alone.getAccessToken());
      await advance(1_000);
      await advance(LATEST_RENEWAL_S * 1000);
      expect(server.grants()).toEqual(['password', 'password', 'refresh_token']);
    });

    it('brings each renewal forward by a random part of its jitter span', async () => {
      const early = replica('early', { jitter: () => 1 });
      await early.getAccessToken();
      const expiresAt = early.getStatus().expiresAt!.getTime();
      expect(expiresAt - early.getStatus().nextRenewalAt!.getTime()).toBe(450_000);
      expect(expiresAt - Date.now()).toBe(LIFETIME_S * 1000);

      const late = replica('late', { jitter: () => 0.2 });
      await late.getAccessToken();
      expect(expiresAt - late.getStatus().nextRenewalAt!.getTime()).toBe(330_000);
    });
  });
});
