// What the library's scenarios against django-oauth-toolkit (library-*.e2e-spec.ts) read from a bed: the calls that
// failed, the token requests the server received, and the first token the application got.
import { expect } from '@jest/globals';
import type { OAuth2ServerStats } from '../support/oauth2-server.js';
import type { CallOutcome, OAuth2Bed } from './oauth2-bed.js';

/** The failed outcomes, as `code (status)`: `[]` when every call succeeded. */
export function failuresOf(outcomes: readonly CallOutcome[]): string[] {
  return outcomes.flatMap((outcome) =>
    outcome.ok ? [] : [`${outcome.code ?? 'no code'} (${outcome.status ?? 'no status'})`],
  );
}

/** Every token request since the last reset, as `grant status`, in order. */
export function tokenRequestLines(stats: OAuth2ServerStats): string[] {
  return stats.tokenRequests.map((request) => `${request.grant} ${request.status}`);
}

/** Makes one successful call and returns the token held after it. */
export async function firstToken(bed: OAuth2Bed): Promise<string> {
  expect(await bed.call()).toMatchObject({ ok: true, status: 200 });
  const token = bed.auth.getCachedAccessToken();
  expect(token).toBeDefined();
  return token ?? '';
}
