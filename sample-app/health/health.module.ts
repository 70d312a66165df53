import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EnkashHealthIndicator } from '../../lib/health/index.js';
import { HealthController } from './health.controller.js';

// The indicator finds the EnKash registration by itself: no import of EnkashAuthModule here.
@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [EnkashHealthIndicator],
})
export class HealthModule {}
