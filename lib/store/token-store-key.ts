import { createHash } from 'node:crypto';
import type { ResolvedEnkashAuthOptions } from '../interfaces/enkash-auth-options.interface.js';

/**
 * The key of an EnKash account in a token store: a hash of the API origin, token path, client id and username, so
 * that registrations of one account share a token, those of other accounts never do, and the username is not
 * readable from the key.
 */
export function tokenStoreKey(
  options: Pick<ResolvedEnkashAuthOptions, 'baseUrl' | 'tokenPath' | 'clientId' | 'username'>,
): string {
  const account = JSON.stringify([
    options.baseUrl,
    options.tokenPath,
    options.clientId,
    options.username,
  ]);
  return createHash('sha256').update(account).digest('hex');
}
