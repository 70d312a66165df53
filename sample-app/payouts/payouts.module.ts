import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { AuditWebhook } from './audit-webhook.service.js';
import { PayoutTransfersClient } from './payout-transfers.client.js';
import { PayoutsController } from './payouts.controller.js';
import { PayoutsService } from './payouts.service.js';

/**
 * The payouts feature. `EnkashAuthModule` is global (see AppModule); `HttpModule` here is the app's own, plain HTTP
 * client, for hosts that are not EnKash: it never carries the EnKash token.
 */
@Module({
  imports: [HttpModule],
  controllers: [PayoutsController],
  providers: [PayoutsService, PayoutTransfersClient, AuditWebhook],
})
export class PayoutsModule {}
