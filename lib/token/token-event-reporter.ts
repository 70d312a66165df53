import type { LoggerService } from '@nestjs/common';
import type { EnkashAuthErrorCode } from '../errors/enkash-auth.error.js';
import type { GrantType, TokenSource } from '../enkash-auth.messages.js';
import { eventListenerFailed } from '../enkash-auth.messages.js';
import type { TokenEngineEvent } from '../events/enkash-token-event.interface.js';

/**
 * Builds the token engine's events and hands them to its listener. Whatever the listener does, the engine carries
 * on: an event is reported after the engine's state has changed, and a listener that throws is logged, never
 * rethrown into a renewal.
 */
export class TokenEventReporter {
  constructor(
    private readonly listener: ((event: TokenEngineEvent) => void) | undefined,
    private readonly logger: Pick<LoggerService, 'warn'>,
  ) {}

  /** A token was adopted; `replacedValidToken` tells a renewal from an acquisition. */
  obtained(
    replacedValidToken: boolean,
    grant: TokenSource,
    durationMs: number,
    expiresAt: Date,
  ): void {
    this.report({
      type: replacedValidToken ? 'renewed' : 'acquired',
      grant,
      durationMs,
      expiresAt,
      errorCode: null,
      at: new Date(),
    });
  }

  /** A token request failed; `heldExpiresAt` is the expiry of the token still valid, if one is. */
  failed(
    grant: GrantType,
    durationMs: number,
    heldExpiresAt: Date | null,
    errorCode: EnkashAuthErrorCode,
  ): void {
    this.report({
      type: 'failed',
      grant,
      durationMs,
      expiresAt: heldExpiresAt,
      errorCode,
      at: new Date(),
    });
  }

  /** EnKash refused the held token and the engine dropped it. */
  invalidated(grant: TokenSource, expiresAt: Date): void {
    this.report({
      type: 'invalidated',
      grant,
      durationMs: null,
      expiresAt,
      errorCode: null,
      at: new Date(),
    });
  }

  private report(event: TokenEngineEvent): void {
    if (this.listener === undefined) return;
    try {
      this.listener(event);
    } catch (error) {
      this.logger.warn(eventListenerFailed(event.type, error));
    }
  }
}
