import { registerAs } from '@nestjs/config';
import type { ConfigType } from '@nestjs/config';

/** An optional variable: unset and empty (as `.env` files often leave them) mean the same. */
function optional(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** `AUDIT_WEBHOOK_URL`, checked at boot so that a typo fails the start, not the first audit report. */
function webhookUrl(value: string | undefined): string | undefined {
  const text = optional(value);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`AUDIT_WEBHOOK_URL must be an absolute http(s) URL (got "${text}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`AUDIT_WEBHOOK_URL must use http:// or https:// (got "${url.protocol}")`);
  }
  return url.href;
}

/**
 * The sample app's own settings, next to the library's `enkashConfig`. Not read by the library.
 */
export const payoutsConfig = registerAs('payouts', () => ({
  /** EnKash fund source to read the balance of and to pay from (`ENKASH_FUND_SOURCE_ID`). */
  fundSourceId: optional(process.env.ENKASH_FUND_SOURCE_ID),
  /** Where each created beneficiary is reported (`AUDIT_WEBHOOK_URL`); no reports when unset. */
  auditWebhookUrl: webhookUrl(process.env.AUDIT_WEBHOOK_URL),
}));

/** The type of {@link payoutsConfig}, for `@Inject(payoutsConfig.KEY)`. */
export type PayoutsConfig = ConfigType<typeof payoutsConfig>;
