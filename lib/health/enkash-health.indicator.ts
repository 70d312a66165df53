import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { DEFAULT_ENKASH_REGISTRATION } from '../enkash-auth.constants.js';
import type { EnkashAuthErrorCode } from '../errors/enkash-auth.error.js';
import type {
  EnkashTokenState,
  EnkashTokenStatus,
} from '../interfaces/enkash-token-status.interface.js';
import { findEnkashRegistration } from '../registration/find-registration.js';

/** Options of {@link EnkashHealthIndicator.isHealthy}. */
export interface EnkashHealthCheckOptions {
  /**
   * The name of the registration to check: the `name` given to `forRoot`/`forRootAsync`, as in the events'
   * `registration`. Default: the unnamed registration (`'default'`).
   */
  registration?: string;
}

/**
 * What the indicator reports beside `status`, up or down: where the token stands, never the token or a secret.
 * A type alias rather than an interface, so that it fits terminus's `Record<string, unknown>` for additional data.
 */
export type EnkashHealthDetails = {
  /** The name of the registration checked: its `name`, or `'default'` (as in the events' `registration`). */
  registration: string;
  /** Where the token engine stands; see `EnkashTokenState`. */
  state: EnkashTokenState;
  /** When the held token expires (ISO 8601), or `null` when none is held. */
  expiresAt: string | null;
  /** When the held token's renewal is scheduled (ISO 8601), or `null` when none is. */
  nextRenewalAt: string | null;
  /** When the next attempt after a failed token request is scheduled (ISO 8601), or `null` when none is. */
  nextRetryAt: string | null;
  /** Code of the last failed token request, or `null` when the last one succeeded. */
  lastErrorCode: EnkashAuthErrorCode | null;
  /** Token requests that failed in a row since the last success. */
  consecutiveFailures: number;
};

/**
 * States in which a valid token is held, so that calls to EnKash go out without waiting. `renewing` is one: the
 * token engine reports it only while the held token is still valid (`acquiring` otherwise).
 */
const TOKEN_HELD: ReadonlySet<EnkashTokenState> = new Set(['valid', 'renewing']);

/**
 * A `@nestjs/terminus` health indicator for an EnKash registration: up while a valid token is held, down otherwise
 * (no token requested yet, first token under way, retrying, expired, credentials rejected, shutting down).
 *
 * It reads the registration's status and nothing else: a probe never requests a token and never waits on EnKash.
 * Register it as a provider next to `TerminusModule`.
 *
 * @example
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly enkash: EnkashHealthIndicator) {}
 *
 *   @Get()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.enkash.isHealthy()]);
 *   }
 * }
 */
@Injectable()
export class EnkashHealthIndicator {
  constructor(
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * The health of the registration named `options.registration` (the unnamed one by default) under `key`.
   *
   * @param key The key of the result in terminus's answer. Default: `'enkash'`.
   * @throws EnkashAuthError `config` when the application has no registration named `options.registration`.
   */
  isHealthy<const Key extends string = 'enkash'>(
    key: Key = 'enkash' as Key,
    options: EnkashHealthCheckOptions = {},
  ): HealthIndicatorResult<Key, 'up' | 'down', EnkashHealthDetails> {
    const registrationName = options.registration ?? DEFAULT_ENKASH_REGISTRATION;
    const status = findEnkashRegistration(this.moduleRef, registrationName).getStatus();
    const details = healthDetailsOf(registrationName, status);
    const check = this.indicators.check(key);
    return TOKEN_HELD.has(status.state) ? check.up(details) : check.down(details);
  }
}

/** Only the fields a probe needs, picked one by one: a field added to the status later is not published unseen. */
function healthDetailsOf(registrationName: string, status: EnkashTokenStatus): EnkashHealthDetails {
  return {
    registration: registrationName,
    state: status.state,
    expiresAt: status.expiresAt?.toISOString() ?? null,
    nextRenewalAt: status.nextRenewalAt?.toISOString() ?? null,
    nextRetryAt: status.nextRetryAt?.toISOString() ?? null,
    lastErrorCode: status.lastErrorCode,
    consecutiveFailures: status.consecutiveFailures,
  };
}
