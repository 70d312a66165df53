import 'reflect-metadata';
import { describe, expect, it, jest } from '@jest/globals';
import type { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type {
  EnkashTokenState,
  EnkashTokenStatus,
} from '../interfaces/enkash-token-status.interface.js';
import { EnkashHealthIndicator } from './enkash-health.indicator.js';

// The mapping of each state, unit by unit. Real token engines behind a real /health are specified in
// test/health.e2e-spec.ts.

const EXPIRES_AT = new Date('2031-05-04T10:00:00.000Z');
const NEXT_RENEWAL_AT = new Date('2031-05-04T09:55:00.000Z');

function statusIn(state: EnkashTokenState): EnkashTokenStatus {
  return {
    state,
    expiresAt: EXPIRES_AT,
    nextRenewalAt: NEXT_RENEWAL_AT,
    lastRenewalAt: new Date('2031-05-04T09:00:00.000Z'),
    renewals: 3,
    consecutiveFailures: 2,
    lastErrorCode: 'server_error',
  };
}

/** A registration whose engine reports `status`; `getAccessToken` is there to catch a probe that asks for a token. */
function registration(name: string, status: EnkashTokenStatus) {
  const getAccessToken = jest.fn(() => Promise.resolve('must-not-be-asked-for'));
  const service = {
    registrationName: name,
    getStatus: () => status,
    getAccessToken,
    getAuthorizationHeader: getAccessToken,
    refresh: getAccessToken,
  } as unknown as EnkashAuthService;
  return { service, getAccessToken };
}

/** The indicator in an application whose registrations are `services`. */
function indicatorOver(...services: EnkashAuthService[]): EnkashHealthIndicator {
  const moduleRef = { get: () => services } as unknown as ModuleRef;
  return new EnkashHealthIndicator(new HealthIndicatorService(), moduleRef);
}

describe('EnkashHealthIndicator', () => {
  describe('up while a valid token is held, down otherwise', () => {
    it.each<[EnkashTokenState, 'up' | 'down']>([
      ['valid', 'up'],
      ['renewing', 'up'],
      ['idle', 'down'],
      ['acquiring', 'down'],
      ['retrying', 'down'],
      ['expired', 'down'],
      ['locked_out', 'down'],
      ['closed', 'down'],
    ])('%s: %s', (state, expected) => {
      const { service, getAccessToken } = registration('default', statusIn(state));

      const result = indicatorOver(service).isHealthy();

      expect(result).toEqual({
        enkash: {
          status: expected,
          account: 'default',
          state,
          expiresAt: '2031-05-04T10:00:00.000Z',
          nextRenewalAt: '2031-05-04T09:55:00.000Z',
          lastErrorCode: 'server_error',
          consecutiveFailures: 2,
        },
      });
      expect(getAccessToken).not.toHaveBeenCalled();
    });
  });

  it('reports no expiry and no renewal as null', () => {
    const status = { ...statusIn('idle'), expiresAt: null, nextRenewalAt: null };
    const { service } = registration('default', status);

    expect(indicatorOver(service).isHealthy()).toMatchObject({
      enkash: { status: 'down', expiresAt: null, nextRenewalAt: null },
    });
  });

  it('publishes only its own fields: a field added to the status later is not published unseen', () => {
    const status = { ...statusIn('valid'), accessToken: 'a-token-added-by-mistake' };
    const { service } = registration('default', status as EnkashTokenStatus);

    const result = indicatorOver(service).isHealthy();

    expect(Object.keys(result.enkash).sort()).toEqual([
      'account',
      'consecutiveFailures',
      'expiresAt',
      'lastErrorCode',
      'nextRenewalAt',
      'state',
      'status',
    ]);
    expect(JSON.stringify(result)).not.toContain('a-token-added-by-mistake');
  });

  it('answers under the key it is given', () => {
    const { service } = registration('default', statusIn('valid'));

    const result = indicatorOver(service).isHealthy('enkash-payouts');

    expect(Object.keys(result)).toEqual(['enkash-payouts']);
    expect(result['enkash-payouts'].status).toBe('up');
  });

  describe('with several registrations', () => {
    const payouts = registration('default', statusIn('valid')).service;
    const cards = registration('cards', statusIn('locked_out')).service;

    it('checks the unnamed one by default', () => {
      expect(indicatorOver(cards, payouts).isHealthy().enkash).toMatchObject({
        status: 'up',
        account: 'default',
      });
    });

    it('checks the one named by `account`', () => {
      const result = indicatorOver(payouts, cards).isHealthy('enkash-cards', { account: 'cards' });

      expect(result['enkash-cards']).toMatchObject({
        status: 'down',
        account: 'cards',
        state: 'locked_out',
      });
    });

    it('fails with a config error naming an unknown account, rather than reporting it down', () => {
      let thrown: unknown;
      try {
        indicatorOver(payouts, cards).isHealthy('enkash', { account: 'card' });
      } catch (error) {
        thrown = error;
      }

      expect(thrown).toBeInstanceOf(EnkashAuthError);
      expect(thrown).toMatchObject({
        code: 'config',
        message: expect.stringContaining('No EnKash registration "card"'),
      });
    });
  });
});
