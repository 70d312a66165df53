import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EnkashAuthOptions } from './interfaces/enkash-auth-options.interface.js';

/** Extra options of `forRoot`/`forRootAsync` that are about the module, not about EnKash. */
export interface EnkashAuthModuleExtras {
  /** Registers the module globally, so that feature modules need not import it. Default: `false`. */
  isGlobal?: boolean;
  /**
   * The name of this registration, for an app that holds several EnKash accounts: one registration per account
   * (lower-case letters and digits, words joined by `-`). Left out (or `'default'`), it is the unnamed registration,
   * injected as `EnkashAuthService` and `EnkashHttpService`; a named one is injected with `@InjectEnkashAuth(name)`
   * and `@InjectEnkashHttp(name)`.
   */
  name?: string;
}

const definition = new ConfigurableModuleBuilder<EnkashAuthOptions>({ moduleName: 'EnkashAuth' })
  .setClassMethodName('forRoot')
  // What the name changes is done in EnkashAuthModule, which may import the services this file must not.
  .setExtras<EnkashAuthModuleExtras>({ isGlobal: false, name: undefined }, (module, extras) => ({
    ...module,
    global: extras.isGlobal,
  }))
  .build();

/** The generated base class that gives {@link EnkashAuthModule} its `forRoot` and `forRootAsync`. */
export const ConfigurableEnkashAuthModule = definition.ConfigurableModuleClass;

/**
 * Injection token of the {@link EnkashAuthOptions} the module was registered with (before validation). Each
 * registration provides it inside its own module: with several registrations, `app.get()` of it may return any one.
 */
export const ENKASH_AUTH_MODULE_OPTIONS = definition.MODULE_OPTIONS_TOKEN;

/** What `EnkashAuthModule.forRoot()` takes: the EnKash options and the module extras. */
export type EnkashAuthModuleOptions = typeof definition.OPTIONS_TYPE;

/** What `EnkashAuthModule.forRootAsync()` takes: `imports`, `inject`, `useFactory` / `useClass` / `useExisting`, `isGlobal`, `name`. */
export type EnkashAuthModuleAsyncOptions = typeof definition.ASYNC_OPTIONS_TYPE;
