import { Counter, Histogram, type Registry } from 'prom-client';
import { merge, type Subscription } from 'rxjs';
import type { EnkashAuthService } from '../../lib/index.js';

/** Counts the token events of `services` in `registry`, and times their token requests. */
export function countEnkashTokenEvents(
  registry: Registry,
  ...services: EnkashAuthService[]
): Subscription {
  const events = new Counter({
    name: 'enkash_token_events_total',
    help: 'EnKash tokens acquired, renewed and invalidated, and token requests failed',
    labelNames: ['registration', 'type', 'grant', 'error_code'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'enkash_token_request_duration_seconds',
    help: 'How long obtaining an EnKash token took',
    labelNames: ['registration', 'type'] as const,
    registers: [registry],
  });
  return merge(...services.map((auth) => auth.events$)).subscribe((event) => {
    const { registration, type, grant } = event;
    events.inc({ registration, type, grant, error_code: event.errorCode ?? '' });
    if (event.durationMs !== null) {
      requestSeconds.observe({ registration, type }, event.durationMs / 1000);
    }
  });
}
