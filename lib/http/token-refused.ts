import type { AxiosResponse } from 'axios';

/** A Bearer challenge whose `error` is `invalid_token` (RFC 6750, section 3), among any others of the header. */
const INVALID_TOKEN_CHALLENGE = /(?:^|,)\s*Bearer\b[^]*?\berror\s*=\s*"?invalid_token"?/i;

/**
 * Whether an answer refuses the token it was sent with: a 401, or a 403 whose `WWW-Authenticate` says
 * `Bearer error="invalid_token"` (servers that answer a refused token with 403). Any other 403 is a real
 * permission error (EnKash's "APIs not enabled"): the caller's, not the token's.
 */
export function refusesToken<Answer extends Pick<AxiosResponse, 'status' | 'headers'>>(
  answer: Answer | undefined,
): answer is Answer {
  if (answer === undefined) return false;
  if (answer.status === 401) return true;
  if (answer.status !== 403) return false;
  const challenge: unknown = answer.headers?.['www-authenticate'];
  const text = Array.isArray(challenge) ? challenge.join(', ') : challenge;
  return typeof text === 'string' && INVALID_TOKEN_CHALLENGE.test(text);
}
