import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { EnkashAuthModule } from '../enkash-auth.module.js';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type {
  EnkashTokenState,
  EnkashTokenStatus,
} from '../interfaces/enkash-token-status.interface.js';
import { findEnkashRegistration } from '../registration/find-registration.js';
import { EnkashHealthIndicator } from './enkash-health.indicator.js';

// The mapping of each state, with each registration's status set by hand. Real token engines behind a real
// /health are specified in test/health.e2e-spec.ts.

/** Two registrations that never contact anyone: no token at boot, and nothing listens on the discard port. */
const REGISTRATION = {
  baseUrl: 'http://127.0.0.1:9',
  clientId: 'client',
  clientSecret: 'client-secret-value',
  username: 'user@example.com',
  password: 'password-value',
  acquireOnStartup: false,
} as const;

const EXPIRES_AT = new Date('2031-05-04T10:00:00.000Z');
const NEXT_RENEWAL_AT = new Date('2031-05-04T09:55:00.000Z');
const NEXT_RETRY_AT = new Date('2031-05-04T09:01:00.000Z');

function statusIn(state: EnkashTokenState): EnkashTokenStatus {
  return {
    state,
    expiresAt: EXPIRES_AT,
    nextRenewalAt: NEXT_RENEWAL_AT,
    nextRetryAt: NEXT_RETRY_AT,
    lastObtainedAt: new Date('2031-05-04T09:00:00.000Z'),
    tokensObtained: 3,
    consecutiveFailures: 2,
    lastErrorCode: 'server_error',
  };
}

let app: TestingModule;
let indicator: EnkashHealthIndicator;

beforeAll(async () => {
  app = await Test.createTestingModule({
    imports: [
      EnkashAuthModule.forRoot(REGISTRATION),
      EnkashAuthModule.forRoot({ ...REGISTRATION, name: 'cards' }),
    ],
    providers: [HealthIndicatorService, EnkashHealthIndicator],
  }).compile();
  app.useLogger(false);
  await app.init();
  indicator = app.get(EnkashHealthIndicator);
});

afterEach(() => {
  jest.restoreAllMocks();
});

afterAll(async () => {
  await app.close();
});

/** Registration `name` reports `status` from now on; the spy on `getAccessToken` catches a probe asking for a token. */
function reporting(name: string, status: EnkashTokenStatus) {
  const service = findEnkashRegistration(app.get(ModuleRef), name);
  jest.spyOn(service, 'getStatus').mockReturnValue(status);
  return { getAccessToken: jest.spyOn(service, 'getAccessToken') };
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
      const { getAccessToken } = reporting('default', statusIn(state));

      const result = indicator.isHealthy();

      expect(result).toEqual({
        enkash: {
          status: expected,
          registration: 'default',
          state,
          expiresAt: '2031-05-04T10:00:00.000Z',
          nextRenewalAt: '2031-05-04T09:55:00.000Z',
          nextRetryAt: '2031-05-04T09:01:00.000Z',
          lastErrorCode: 'server_error',
          consecutiveFailures: 2,
        },
      });
      expect(getAccessToken).not.toHaveBeenCalled();
    });
  });

  it('reports no expiry and no renewal as null', () => {
    reporting('default', {
      ...statusIn('idle'),
      expiresAt: null,
      nextRenewalAt: null,
      nextRetryAt: null,
    });

    expect(indicator.isHealthy()).toMatchObject({
      enkash: { status: 'down', expiresAt: null, nextRenewalAt: null, nextRetryAt: null },
    });
  });

  it('publishes only its own fields: a field added to the status later is not published unseen', () => {
    const status = { ...statusIn('valid'), accessToken: 'a-token-added-by-mistake' };
    reporting('default', status as EnkashTokenStatus);

    const result = indicator.isHealthy();

    expect(Object.keys(result.enkash).sort()).toEqual([
      'consecutiveFailures',
      'expiresAt',
      'lastErrorCode',
      'nextRenewalAt',
      'nextRetryAt',
      'registration',
      'state',
      'status',
    ]);
    expect(JSON.stringify(result)).not.toContain('a-token-added-by-mistake');
  });

  it('answers under the key it is given', () => {
    reporting('default', statusIn('valid'));

    const result = indicator.isHealthy('enkash-payouts');

    expect(Object.keys(result)).toEqual(['enkash-payouts']);
    expect(result['enkash-payouts'].status).toBe('up');
  });

  describe('with several registrations', () => {
    function payoutsValidCardsLockedOut(): void {
      reporting('default', statusIn('valid'));
      reporting('cards', statusIn('locked_out'));
    }

    it('checks the unnamed one by default', () => {
      payoutsValidCardsLockedOut();

      expect(indicator.isHealthy().enkash).toMatchObject({ status: 'up', registration: 'default' });
    });

    it('checks the one named by `registration`', () => {
      payoutsValidCardsLockedOut();

      const result = indicator.isHealthy('enkash-cards', { registration: 'cards' });

      expect(result['enkash-cards']).toMatchObject({
        status: 'down',
        registration: 'cards',
        state: 'locked_out',
      });
    });

    it('fails with a config error naming an unknown registration, rather than reporting it down', () => {
      let thrown: unknown;
      try {
        indicator.isHealthy('enkash', { registration: 'card' });
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
