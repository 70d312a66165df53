import type { LoggerService } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { Observable, Subscription } from 'rxjs';
import { eventListenerFailed } from '../enkash-auth.messages.js';
import type { EnkashTokenEvent } from './enkash-token-event.interface.js';
import { ENKASH_TOKEN_EVENTS } from './enkash-token-events.constants.js';

// `@nestjs/event-emitter` is an optional peer dependency: this file is the only one that loads it, with a dynamic
// import, so that an application without it never fails to start. Its types are erased from the build.
type EventEmitterPackage = typeof import('@nestjs/event-emitter');

/** What the bridge uses of `EventEmitter2`. */
interface EventEmitterLike {
  /** Resolves when every listener has; `false` when there is none (eventemitter2 6). */
  emitAsync(event: string, ...values: unknown[]): Promise<unknown[]> | false;
}

type Emit = (event: EnkashTokenEvent) => void;

/**
 * Emits each event of `events$` through the application's `EventEmitter2` under {@link ENKASH_TOKEN_EVENTS}, when
 * the application imports `EventEmitterModule.forRoot()`; otherwise lets go of `events$` and does nothing.
 *
 * Events wait until the event emitter has registered the `@OnEvent()` listeners, which it does at bootstrap, after
 * this library initialised: a token obtained early (at bootstrap, or in another module's `onModuleInit`) reaches them
 * too, in order.
 */
export function bridgeToEventEmitter(
  events$: Observable<EnkashTokenEvent>,
  moduleRef: ModuleRef,
  logger: Pick<LoggerService, 'warn'>,
): Subscription {
  const emitter = findEventEmitter(moduleRef, logger);
  const subscription = events$.subscribe((event) => {
    void emitter.then((emit) => emit?.(event));
  });
  void emitter.then((emit) => {
    if (emit === undefined) subscription.unsubscribe();
  });
  return subscription;
}

/** The emitting function, once listeners are registered; `undefined` without the package or its module. */
async function findEventEmitter(
  moduleRef: ModuleRef,
  logger: Pick<LoggerService, 'warn'>,
): Promise<Emit | undefined> {
  let eventEmitterPackage: EventEmitterPackage;
  try {
    eventEmitterPackage = await import('@nestjs/event-emitter');
  } catch {
    return undefined;
  }
  const emitter: EventEmitterLike | undefined = lookUp(
    moduleRef,
    eventEmitterPackage.EventEmitter2,
  );
  if (emitter === undefined) return undefined;
  const readiness = lookUp(moduleRef, eventEmitterPackage.EventEmitterReadinessWatcher);
  // Listeners that failed to register are the event emitter's to report; the others still get their events.
  await readiness?.waitUntilReady().catch(() => undefined);
  return (event) => emitSafely(emitter, event, logger);
}

/** The provider of `type` anywhere in the application, or `undefined`. */
function lookUp<T>(
  moduleRef: ModuleRef,
  type: abstract new (...args: never[]) => T,
): T | undefined {
  try {
    return moduleRef.get(type, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * `emitAsync` rather than `emit`: a listener that throws is caught and logged whether it throws at once or rejects
 * later (an `async` listener, `@OnEvent` with `suppressErrors: false`), instead of ending in an unhandled rejection.
 */
function emitSafely(
  emitter: EventEmitterLike,
  event: EnkashTokenEvent,
  logger: Pick<LoggerService, 'warn'>,
): void {
  const name = ENKASH_TOKEN_EVENTS[event.type];
  const logFailure = (error: unknown): void => logger.warn(eventListenerFailed(name, error));
  try {
    const done = emitter.emitAsync(name, event);
    if (done !== false) done.catch(logFailure);
  } catch (error) {
    logFailure(error);
  }
}
