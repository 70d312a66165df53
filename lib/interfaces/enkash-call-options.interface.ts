/**
 * Per-call switches of `EnkashHttpService`, given as `enkash` in a call's axios config. Each one, when set, wins over
 * its registration's setting.
 *
 * @example
 * this.enkash.post('/api/v0/payout-transaction', transfer, { enkash: { encryptPayload: true, unwrapEnvelope: true } })
 */
export interface EnkashCallOptions {
  /**
   * Unwrap EnKash's envelope `{ response_code, response_message, payload }`: the answer's `data` becomes `payload`
   * when `response_code` is 0; otherwise the call fails with `EnkashApiError`. Registration default: `unwrapEnvelopes`.
   */
  unwrapEnvelope?: boolean;
  /**
   * Encrypt the body as EnKash's Payouts API wants it (`{ "request": "<base64>" }`) and decrypt an answer in that
   * wrapper. Registration default: `encryptPayloads`.
   */
  encryptPayload?: boolean;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Switches of `nestjs-enkash-auth` for a call through `EnkashHttpService`; ignored by any other axios instance. */
    enkash?: EnkashCallOptions;
  }
}
