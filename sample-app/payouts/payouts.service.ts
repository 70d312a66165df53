import { Inject, Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { EnkashHttpService } from '../../lib/index.js';
import { AuditWebhook } from './audit-webhook.service.js';
import { payoutsConfig } from './payouts.config.js';
import type { PayoutsConfig } from './payouts.config.js';
import type { EnkashAnswer } from './enkash-answer.js';
import type { NewBeneficiary, NewTransfer } from './payouts.requests.js';
import { ENKASH_USER_AGENT } from './user-agent.js';

/**
 * EnKash Payouts calls made through `EnkashHttpService`: no token handling here. The token is attached, renewed and,
 * after a 401, replaced and the call sent once more by the library. Failures are `EnkashHttpError` or
 * `EnkashAuthError`, turned into HTTP answers by `EnkashErrorsFilter`.
 */
@Injectable()
export class PayoutsService {
  constructor(
    private readonly enkash: EnkashHttpService,
    private readonly audit: AuditWebhook,
    @Inject(payoutsConfig.KEY) private readonly config: PayoutsConfig,
  ) {}

  /** The balance of the configured fund source, as EnKash answers it. */
  async balance(): Promise<EnkashAnswer<{ totalBalance: number }>> {
    const { data } = await firstValueFrom(
      this.enkash.get<EnkashAnswer<{ totalBalance: number }>>('/api/v0/payout-account/balance', {
        params: { fundSourceId: this.config.fundSourceId },
        headers: { 'User-Agent': ENKASH_USER_AGENT },
      }),
    );
    return data;
  }

  /**
   * Creates a payout the way EnKash's Payouts API wants it in production: the body encrypted with the key derived
   * from the client secret, the answer decrypted and its envelope unwrapped. A refusal (a duplicate transactionId...)
   * is an `EnkashApiError` with EnKash's response_code and response_message.
   */
  async createEncryptedTransfer(transfer: NewTransfer): Promise<unknown> {
    const { data } = await firstValueFrom(
      this.enkash.post<unknown>(
        '/api/v0/payout-transaction',
        { ...transfer, fundSourceId: this.config.fundSourceId },
        {
          headers: { 'User-Agent': ENKASH_USER_AGENT },
          enkash: { encryptPayload: true, unwrapEnvelope: true },
        },
      ),
    );
    return data;
  }

  /** Creates a beneficiary on EnKash, then reports it to the audit webhook. */
  async createBeneficiary(beneficiary: NewBeneficiary): Promise<EnkashAnswer> {
    const { data } = await firstValueFrom(
      this.enkash.post<EnkashAnswer>('/api/v0/beneficiary-detail', beneficiary, {
        headers: { 'User-Agent': ENKASH_USER_AGENT },
      }),
    );
    await this.audit.beneficiaryCreated(beneficiary.beneficiaryId);
    return data;
  }
}
