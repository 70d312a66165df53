import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { payoutsConfig } from './payouts.config.js';
import type { PayoutsConfig } from './payouts.config.js';

/** How long a report may take before it is given up (it never fails the request that caused it). */
const REPORT_TIMEOUT_MS = 5_000;

/**
 * Reports what the app did on EnKash to `AUDIT_WEBHOOK_URL`, a host that is not EnKash, with the app's own plain
 * `HttpService` (the global axios instance). The EnKash token never goes there: only `EnkashHttpService` carries it.
 */
@Injectable()
export class AuditWebhook {
  private readonly logger = new Logger(AuditWebhook.name);

  constructor(
    private readonly http: HttpService,
    @Inject(payoutsConfig.KEY) private readonly config: PayoutsConfig,
  ) {}

  /** Reports a beneficiary created on EnKash. Awaited, so that the report is sent before the client is answered. */
  async beneficiaryCreated(beneficiaryId: string): Promise<void> {
    const url = this.config.auditWebhookUrl;
    if (url === undefined) return;
    const event = { event: 'beneficiary.created', beneficiaryId, at: new Date().toISOString() };
    try {
      await firstValueFrom(this.http.post(url, event, { timeout: REPORT_TIMEOUT_MS }));
    } catch (error) {
      // The message only: an AxiosError also holds the whole request.
      this.logger.warn(
        `Audit report to ${new URL(url).origin} failed: ${(error as Error).message}`,
      );
    }
  }
}
