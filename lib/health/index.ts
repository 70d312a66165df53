/**
 * The EnKash health indicator for `@nestjs/terminus`, an optional peer dependency: a separate entry point, so that
 * an application without terminus can import `nestjs-enkash-auth` without installing it.
 * @module
 */
export { EnkashHealthIndicator } from './enkash-health.indicator.js';
export type { EnkashHealthCheckOptions, EnkashHealthDetails } from './enkash-health.indicator.js';
