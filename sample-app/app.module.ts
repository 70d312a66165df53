import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { EnkashAuthModule, enkashConfig } from '../lib/index.js';
import type { EnkashConfig } from '../lib/index.js';
import { EnkashErrorsFilter } from './enkash-errors.filter.js';
import { EnkashStatusController } from './enkash-status.controller.js';
import { HealthModule } from './health/health.module.js';
import { payoutsConfig } from './payouts/payouts.config.js';
import { PayoutsModule } from './payouts/payouts.module.js';

@Module({
  imports: [
    // Reads .env into process.env, then the ENKASH_* variables (validated) and the sample's own.
    // Tests (NODE_ENV=test, set by Jest) ignore .env: a developer's local settings must not reach them.
    ConfigModule.forRoot({
      isGlobal: true,
      load: [enkashConfig, payoutsConfig],
      ignoreEnvFile: process.env.NODE_ENV === 'test',
    }),
    // The library renews the token on a @nestjs/schedule timeout, in this registry.
    ScheduleModule.forRoot(),
    // Once per EnKash account; global, so that every feature module can inject EnkashHttpService.
    EnkashAuthModule.forRootAsync({
      isGlobal: true,
      inject: [enkashConfig.KEY],
      useFactory: (enkash: EnkashConfig) => enkash,
    }),
    PayoutsModule,
    HealthModule,
  ],
  controllers: [EnkashStatusController],
  providers: [{ provide: APP_FILTER, useClass: EnkashErrorsFilter }],
})
export class AppModule {}
