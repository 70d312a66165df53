import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import {
  ConfigurableEnkashAuthModule,
  type EnkashAuthModuleAsyncOptions,
  type EnkashAuthModuleOptions,
} from './enkash-auth.module-definition.js';
import { invalidRegistrationName } from './enkash-auth.messages.js';
import {
  ENKASH_REGISTRATION_AUTH,
  ENKASH_REGISTRATION_AUTH_INJECTION_TOKEN,
  ENKASH_REGISTRATION_NAME,
  resolvedOptionsProvider,
  sharedStoreProvider,
} from './enkash-auth.providers.js';
import { EnkashAuthService } from './enkash-auth.service.js';
import { EnkashAuthError } from './errors/enkash-auth.error.js';
import { EnkashHttpService } from './http/enkash-http.service.js';
import { EnkashAuthInterceptor } from './interceptors/enkash-auth.interceptor.js';
import {
  getEnkashAuthToken,
  getEnkashHttpToken,
  registrationNameOf,
} from './registration/enkash-registration.tokens.js';

/**
 * Lower-case letters and digits in words joined by `-`: each registration name then has one variable prefix of its
 * own (`business-unit-2` reads `ENKASH_BUSINESS_UNIT_2_*`), where `Cards` and `cards`, or `my-cards` and `my_cards`,
 * would read the same variables and so, likely, log in to one EnKash account twice.
 */
const REGISTRATION_NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * One registration's module: its services under its tokens, a private `HttpModule`, and what it exports.
 *
 * Nest instantiates a dynamic module per registration, so each has its own options, token engine, timer and axios
 * instance. The services are provided under `getEnkash*Token(registrationName)` only: the classes themselves for the
 * unnamed registration, strings for a named one, so that `app.get(EnkashAuthService)` can never return a named one.
 *
 * The `HttpModule` is registered with `registerAsync` (unlike `register`), which creates the axios instance when the
 * application boots, so that two applications built from one module tree (as e2e tests do) never share an instance
 * and its interceptors. The instance is never exported: the host's `HttpService` stays token-free.
 */
function registration(module: DynamicModule, givenName: string | undefined): DynamicModule {
  if (givenName !== undefined && !REGISTRATION_NAME_PATTERN.test(String(givenName))) {
    throw new EnkashAuthError('config', invalidRegistrationName(givenName));
  }
  const registrationName = registrationNameOf(givenName);
  const authToken = getEnkashAuthToken(registrationName);
  const httpToken = getEnkashHttpToken(registrationName);
  return {
    ...module,
    imports: [...(module.imports ?? []), HttpModule.registerAsync({ useFactory: () => ({}) })],
    providers: [
      ...(module.providers ?? []),
      { provide: ENKASH_REGISTRATION_NAME, useValue: registrationName },
      // How this registration's EnkashAuthService checks that no other registration has its name.
      { provide: ENKASH_REGISTRATION_AUTH_INJECTION_TOKEN, useValue: authToken },
      { provide: authToken, useClass: EnkashAuthService },
      { provide: httpToken, useClass: EnkashHttpService },
      // How this registration's EnkashHttpService finds its EnkashAuthService (or a test's override of it).
      { provide: ENKASH_REGISTRATION_AUTH, useExisting: authToken },
    ],
    exports: [...(module.exports ?? []), authToken, httpToken, EnkashAuthInterceptor],
  };
}

/**
 * Gives the application an {@link EnkashAuthService} that keeps a valid EnKash access token, an
 * {@link EnkashHttpService} that sends it with every call to EnKash, and the {@link EnkashAuthInterceptor} for
 * controllers. Register it once per EnKash account: one registration unnamed, and one with a `name` for each further
 * account.
 *
 * @example
 * EnkashAuthModule.forRootAsync(enkashConfig.asProvider())
 * EnkashAuthModule.forRootAsync({ name: 'cards', ...enkashConfigFor('cards').asProvider() })
 */
@Module({
  providers: [resolvedOptionsProvider, sharedStoreProvider, EnkashAuthInterceptor],
})
export class EnkashAuthModule extends ConfigurableEnkashAuthModule {
  /** Registers the module with options known up front. */
  static override forRoot(options: EnkashAuthModuleOptions): DynamicModule {
    return registration(super.forRoot(options), options.name);
  }

  /** Registers the module with options from a factory, a class or an existing provider (e.g. `ConfigService`). */
  static override forRootAsync(options: EnkashAuthModuleAsyncOptions): DynamicModule {
    return registration(super.forRootAsync(options), options.name);
  }
}
