import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EnkashAuthOptions } from './interfaces/enkash-auth-options.interface.js';

/** Extra options of `forRoot`/`forRootAsync` that are about the module, not about EnKash. */
export interface EnkashAuthModuleExtras {
  /** Registers the module globally, so that feature modules need not import it. Default: `false`. */
  isGlobal?: boolean;
}

const definition = new ConfigurableModuleBuilder<EnkashAuthOptions>({ moduleName: 'EnkashAuth' })
  .setClassMethodName('forRoot')
  .setExtras<EnkashAuthModuleExtras>({ isGlobal: false }, (module, extras) => ({
    ...module,
    global: extras.isGlobal,
  }))
  .build();

/** The generated base class that gives {@link EnkashAuthModule} its `forRoot` and `forRootAsync`. */
export const ConfigurableEnkashAuthModule = definition.ConfigurableModuleClass;

/** Injection token of the {@link EnkashAuthOptions} the module was registered with (before validation). */
export const ENKASH_AUTH_MODULE_OPTIONS = definition.MODULE_OPTIONS_TOKEN;

/** What `EnkashAuthModule.forRoot()` takes: the EnKash options and the module extras. */
export type EnkashAuthModuleOptions = typeof definition.OPTIONS_TYPE;

/** What `EnkashAuthModule.forRootAsync()` takes: `imports`, `inject`, `useFactory` / `useClass` / `useExisting`, `isGlobal`. */
export type EnkashAuthModuleAsyncOptions = typeof definition.ASYNC_OPTIONS_TYPE;
