import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import {
  ConfigurableEnkashAuthModule,
  type EnkashAuthModuleAsyncOptions,
  type EnkashAuthModuleOptions,
} from './enkash-auth.module-definition.js';
import { resolvedOptionsProvider, sharedStoreProvider } from './enkash-auth.providers.js';
import { EnkashAuthService } from './enkash-auth.service.js';
import { EnkashHttpService } from './http/enkash-http.service.js';
import { EnkashAuthInterceptor } from './interceptors/enkash-auth.interceptor.js';

/**
 * A private `HttpModule` per registration. `registerAsync` (unlike `register`) creates the axios instance when the
 * application boots, so that two applications built from one module tree (as e2e tests do) never share an instance
 * and its interceptors. The instance is never exported: the host's `HttpService` stays token-free.
 */
function withPrivateHttpModule(module: DynamicModule): DynamicModule {
  return {
    ...module,
    imports: [...(module.imports ?? []), HttpModule.registerAsync({ useFactory: () => ({}) })],
  };
}

/**
 * Gives the application an {@link EnkashAuthService} that keeps a valid EnKash access token, an
 * {@link EnkashHttpService} that sends it with every call to EnKash, and the {@link EnkashAuthInterceptor} for
 * controllers.
 *
 * @example
 * EnkashAuthModule.forRootAsync(enkashConfig.asProvider())
 */
@Module({
  providers: [
    resolvedOptionsProvider,
    sharedStoreProvider,
    EnkashAuthService,
    EnkashHttpService,
    EnkashAuthInterceptor,
  ],
  exports: [EnkashAuthService, EnkashHttpService, EnkashAuthInterceptor],
})
export class EnkashAuthModule extends ConfigurableEnkashAuthModule {
  /** Registers the module with options known up front. */
  static override forRoot(options: EnkashAuthModuleOptions): DynamicModule {
    return withPrivateHttpModule(super.forRoot(options));
  }

  /** Registers the module with options from a factory, a class or an existing provider (e.g. `ConfigService`). */
  static override forRootAsync(options: EnkashAuthModuleAsyncOptions): DynamicModule {
    return withPrivateHttpModule(super.forRootAsync(options));
  }
}
