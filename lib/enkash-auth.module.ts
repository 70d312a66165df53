import { Module } from '@nestjs/common';
import { ConfigurableEnkashAuthModule } from './enkash-auth.module-definition.js';
import { EnkashAuthService } from './enkash-auth.service.js';

/**
 * Gives the application an {@link EnkashAuthService} that keeps a valid EnKash access token.
 *
 * @example
 * EnkashAuthModule.forRootAsync(enkashConfig.asProvider())
 */
@Module({
  providers: [EnkashAuthService],
  exports: [EnkashAuthService],
})
export class EnkashAuthModule extends ConfigurableEnkashAuthModule {}
