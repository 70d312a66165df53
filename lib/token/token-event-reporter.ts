import type { LoggerService } from '@nestjs/common';
import type { EnkashAuthErrorCode } from '../errors/enkash-auth.error.js';
import { eventListenerFailed } from '../enkash-auth.messages.js';
import type { TokenEngineEvent } from '../events/enkash-token-event.interface.js';
import type { GrantType, TokenSource } from './grant.js';

/** A token was adopted; `replacedValidToken` tells a renewal from an acquisition. */
export function obtainedEvent(
  replacedValidToken: boolean,
  grant: TokenSource,
  durationMs: number,
  expiresAt: Date,
  at: Date,
): TokenEngineEvent {
  return {
    type: replacedValidToken ? 'renewed' : 'acquired',
    grant,
    durationMs,
    expiresAt,
    errorCode: null,
    at,
  };
}

/** A token request failed; `heldExpiresAt` is the expiry of the token still valid, if one is. */
export function failedEvent(
  grant: GrantType,
  durationMs: number,
  heldExpiresAt: Date | null,
  errorCode: EnkashAuthErrorCode,
  at: Date,
): TokenEngineEvent {
  return { type: 'failed', grant, durationMs, expiresAt: heldExpiresAt, errorCode, at };
}

/** EnKash refused the held token and the engine dropped it. */
export function invalidatedEvent(grant: TokenSource, expiresAt: Date, at: Date): TokenEngineEvent {
  return { type: 'invalidated', grant, durationMs: null, expiresAt, errorCode: null, at };
}

/**
 * Hands the token engine's events to its listener. Whatever the listener does, the engine carries on: an event is
 * reported after the engine's state has changed, and a listener that throws is logged, never rethrown into a
 * renewal.
 */
export class TokenEventReporter {
  constructor(
    private readonly listener: ((event: TokenEngineEvent) => void) | undefined,
    private readonly logger: Pick<LoggerService, 'warn'>,
  ) {}

  report(event: TokenEngineEvent): void {
    if (this.listener === undefined) return;
    try {
      this.listener(event);
    } catch (error) {
      this.logger.warn(eventListenerFailed(event.type, error));
    }
  }
}
