import type { FactoryProvider } from '@nestjs/common';
import { ENKASH_AUTH_MODULE_OPTIONS } from './enkash-auth.module-definition.js';
import { resolveEnkashAuthOptions } from './enkash-auth.options.js';
import type {
  EnkashAuthOptions,
  ResolvedEnkashAuthOptions,
} from './interfaces/enkash-auth-options.interface.js';

// Internal tokens: not exported from index.ts.

/** The validated options with defaults applied, shared by every provider of one module registration. */
export const ENKASH_RESOLVED_OPTIONS = Symbol('ENKASH_RESOLVED_OPTIONS');

/** Validates the options once, when the module boots: a bad `.env` fails the boot with every problem named. */
export const resolvedOptionsProvider: FactoryProvider<ResolvedEnkashAuthOptions> = {
  provide: ENKASH_RESOLVED_OPTIONS,
  useFactory: (options: EnkashAuthOptions) => resolveEnkashAuthOptions(options),
  inject: [ENKASH_AUTH_MODULE_OPTIONS],
};
