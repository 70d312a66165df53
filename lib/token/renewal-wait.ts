import type { HeldToken } from './engine-state.js';

/**
 * How long a caller waits for a renewal under way (this instance's, or one another replica announced) before it
 * takes the held token after all: about one token round trip.
 */
export const RENEWAL_WAIT_LIMIT_MS = 1_000;

/**
 * EnKash revokes the held token as soon as it processes the refresh grant, so callers during a renewal wait for the
 * new token, but never long: a slow token endpoint must not stall calls while the held token may still work. After
 * `limitMs`, or when the renewal fails, `fallBack` answers.
 */
export function awaitRenewal(
  renewal: Promise<HeldToken>,
  fallBack: () => Promise<string>,
  limitMs: number = RENEWAL_WAIT_LIMIT_MS,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const giveUp = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(limit);
      fallBack().then(resolve, reject);
    };
    // Not unref'd: a caller is waiting on it.
    const limit = setTimeout(giveUp, limitMs);
    renewal.then((held) => {
      if (settled) return;
      settled = true;
      clearTimeout(limit);
      resolve(held.accessToken);
    }, giveUp);
  });
}
