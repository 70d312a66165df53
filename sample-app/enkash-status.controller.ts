import { Controller, Get } from '@nestjs/common';
import { EnkashAuthService } from '../lib/index.js';
import type { EnkashTokenStatus } from '../lib/index.js';

/** Where the EnKash token stands, for dashboards and health checks. */
@Controller('enkash')
export class EnkashStatusController {
  constructor(private readonly auth: EnkashAuthService) {}

  /** `GET /enkash/status`: state, expiry, next renewal or retry, tokens obtained, last error. Never the token: `getStatus()` holds none. */
  @Get('status')
  status(): EnkashTokenStatus {
    return this.auth.getStatus();
  }
}
