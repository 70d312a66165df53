import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EnkashAuthOptions } from './interfaces/enkash-auth-options.interface.js';

/** Extra options of `forRoot`/`forRootAsync` that are about the module, not about EnKash. */
export interface EnkashAuthModuleExtras {
  /** Registers the module globally, so that feature modules need not import it. Default: `false`. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: ConfigurableEnkashAuthModule,
  MODULE_OPTIONS_TOKEN: ENKASH_AUTH_MODULE_OPTIONS,
  OPTIONS_TYPE: ENKASH_AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: ENKASH_AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<EnkashAuthOptions>({ moduleName: 'EnkashAuth' })
  .setClassMethodName('forRoot')
  .setExtras<EnkashAuthModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** What `EnkashAuthModule.forRoot()` takes: the EnKash options and the module extras. */
export type EnkashAuthModuleOptions = typeof ENKASH_AUTH_OPTIONS_TYPE;

/** What `EnkashAuthModule.forRootAsync()` takes: `imports`, `inject`, `useFactory` / `useClass` / `useExisting`, `isGlobal`. */
export type EnkashAuthModuleAsyncOptions = typeof ENKASH_AUTH_ASYNC_OPTIONS_TYPE;
