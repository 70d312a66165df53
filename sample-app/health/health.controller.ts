import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import type { HealthCheckResult } from '@nestjs/terminus';
import { EnkashHealthIndicator } from '../../lib/health/index.js';

/** For a load balancer or an orchestrator's readiness probe: can this instance call EnKash right now? */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly enkash: EnkashHealthIndicator,
  ) {}

  /** `GET /health`: 200 while a valid EnKash token is held, 503 otherwise, with where the token stands. */
  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.enkash.isHealthy()]);
  }
}
