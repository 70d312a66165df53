import { Body, Controller, Get, Post, UseInterceptors } from '@nestjs/common';
import { EnkashAuthInterceptor, EnkashToken } from '../../lib/index.js';
import { PayoutTransfersClient } from './payout-transfers.client.js';
import { parseNewBeneficiary, parseNewTransfer } from './payouts.requests.js';
import type { EnkashAnswer } from './enkash-answer.js';
import { PayoutsService } from './payouts.service.js';

/**
 * EnKash Payouts behind this API. `EnkashAuthInterceptor` makes sure a valid EnKash token is held before a handler
 * runs: when none can be had, the client gets 503 (with Retry-After) or 502 at once, and EnKash is not called.
 */
@Controller('payouts')
@UseInterceptors(EnkashAuthInterceptor)
export class PayoutsController {
  constructor(
    private readonly payouts: PayoutsService,
    private readonly transfers: PayoutTransfersClient,
  ) {}

  /** `GET /payouts/balance`: EnKash's answer for the configured fund source, as is. */
  @Get('balance')
  balance(): Promise<EnkashAnswer<{ totalBalance: number }>> {
    return this.payouts.balance();
  }

  /** `POST /payouts/beneficiaries`: creates a beneficiary on EnKash (through `EnkashHttpService`). */
  @Post('beneficiaries')
  createBeneficiary(@Body() body: unknown): Promise<EnkashAnswer> {
    return this.payouts.createBeneficiary(parseNewBeneficiary(body));
  }

  /**
   * `POST /payouts/encrypted-transfers`: creates a payout through `EnkashHttpService` with its body encrypted as
   * EnKash's Payouts API wants it; answers EnKash's `payload`, decrypted and unwrapped.
   */
  @Post('encrypted-transfers')
  createEncryptedTransfer(@Body() body: unknown): Promise<unknown> {
    return this.payouts.createEncryptedTransfer(parseNewTransfer(body));
  }

  /** `POST /payouts/transfers`: creates a payout with `fetch` and the token from `@EnkashToken()`. Never returns it. */
  @Post('transfers')
  createTransfer(@EnkashToken() token: string, @Body() body: unknown): Promise<EnkashAnswer> {
    return this.transfers.create(token, parseNewTransfer(body));
  }
}
