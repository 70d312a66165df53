import type { EnkashTokenEventType } from './enkash-token-event.interface.js';

/**
 * The names under which each {@link EnkashTokenEvent} is emitted through `@nestjs/event-emitter`'s `EventEmitter2`,
 * when the application imports `EventEmitterModule.forRoot()`; for `@OnEvent(ENKASH_TOKEN_EVENTS.renewed)`.
 */
export const ENKASH_TOKEN_EVENTS = {
  acquired: 'enkash.token.acquired',
  renewed: 'enkash.token.renewed',
  failed: 'enkash.token.failed',
  invalidated: 'enkash.token.invalidated',
} as const satisfies Record<EnkashTokenEventType, string>;
