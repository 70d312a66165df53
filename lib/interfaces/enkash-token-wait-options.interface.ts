/**
 * How long `EnkashAuthService.getAccessToken()` waits when no valid token is held and a token request failed for a
 * reason that may pass (a 5xx, a timeout, a refused connection...): after each such failure it waits for the next
 * request when that one starts within what is left of `waitMs`, and gets its outcome. Failures that no wait can cure
 * (bad credentials, a bad client, a lock-out, the configuration) reject at once.
 */
export interface EnkashTokenWaitOptions {
  /**
   * How long, in all, to wait for token requests to start, in milliseconds. The time a request takes is not counted:
   * each request is bounded by `tokenRequestTimeoutMs`, and one attempt may send up to three (the check for the
   * server's token, the refresh grant, the password grant after it). `0` joins a request already under way but waits
   * for no later one; `Infinity` waits until a token comes or a failure no wait can cure. For a bound on the whole
   * wait, pass a `signal` (`AbortSignal.timeout(ms)`). Default: 5000.
   */
  waitMs?: number;
  /** Stops waiting when aborted: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}
