/**
 * How long `EnkashAuthService.getAccessToken()` waits when no valid token is held and the last token request failed
 * for a reason that may pass (a 5xx, a timeout, a refused connection...): it waits for the next token request when
 * that request starts within `waitMs`, and gets its outcome. Failures that no wait can cure (bad credentials, a bad
 * client, a lock-out, the configuration) reject at once.
 */
export interface EnkashTokenWaitOptions {
  /**
   * The longest wait for a token request to start, in milliseconds; the request itself then takes what it takes (at
   * most `tokenRequestTimeoutMs`). `0` never waits for a later request: the last failure is thrown at once;
   * `Infinity` waits until a token comes or a failure no wait can cure. Default: 5000.
   */
  waitMs?: number;
  /** Stops waiting when aborted: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}
