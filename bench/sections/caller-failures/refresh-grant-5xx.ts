// Case 2: the refresh grant keeps failing with 5xx. django-oauth-toolkit 1.7 answers HTTP 500 to the refresh token of
// an access token revoked through its revocation endpoint, every time; its password grant works all along.
import type { BenchSizes } from '../../bench-sizes.js';
import { failedCalls } from '../../support/load.js';
import type { LoadResult } from '../../support/load.js';
import { byCode, recovery, seconds } from './case-row.js';
import type { CaseResult, CaseRow } from './case-row.js';
import {
  grantOutcomes,
  grantsOf,
  loadWithRevocation,
  OAUTH2_CALLERS,
  resourceAnswers,
  withOAuth2Bed,
} from './oauth2-server-runs.js';
import type { OAuth2Bed } from './oauth2-server-runs.js';

/** The server's access tokens live this long. */
const ACCESS_TOKEN_SECONDS = 5;
/** Calls run this long before the held token is revoked. */
const BEFORE_REVOCATION_MS = 2_000;

function lastWarning(label: string, last: string | undefined): string[] {
  return last === undefined ? [] : [`${label}: the library's last warning: "${last}"`];
}

/**
 * The row of one run: `run` says how the token was revoked and when callers called, then come what the server
 * answered, when callers stopped failing after `recoverySinceMs` (on `performance.now()`'s clock), and what they got.
 */
async function revocationRow(
  bed: OAuth2Bed,
  label: string,
  load: LoadResult,
  run: string,
  recoverySinceMs: number,
): Promise<CaseRow> {
  const stats = await bed.server.stats();
  const grants = grantsOf(stats);
  return {
    label,
    calls: load.samples.length,
    failedCalls: failedCalls(load.failures),
    passwordGrants: grants.password,
    refreshGrants: grants.refresh,
    notes: [
      `${ACCESS_TOKEN_SECONDS} s tokens, ${run}; refresh grants answered ${grantOutcomes(stats, 'refresh_token')}, ` +
        `password grants ${grantOutcomes(stats, 'password')}; 401s met: ${resourceAnswers(stats, 401)}`,
      recovery(load.samples, recoverySinceMs),
      `callers got ${byCode(load.failures)}`,
    ],
    footnotes: lastWarning(label, bed.logs.last),
  };
}

/** Callers call on; the held token is revoked under them. */
function revokedUnderLoad(durationMs: number): Promise<CaseRow> {
  return withOAuth2Bed(ACCESS_TOKEN_SECONDS, async (bed) => {
    const { load, revocation } = await loadWithRevocation(bed, durationMs, BEFORE_REVOCATION_MS);
    return revocationRow(
      bed,
      `2. DOT 1.7: token revoked while ${OAUTH2_CALLERS} callers call`,
      load,
      `revoked ${seconds(BEFORE_REVOCATION_MS)} into ${seconds(durationMs)}`,
      revocation.at,
    );
  });
}

/**
 * The held token is revoked while nothing calls; callers come back once it has expired, so that no call of theirs
 * meets a 401 that would tell the library the token was refused.
 */
function revokedWhileIdle(durationMs: number): Promise<CaseRow> {
  return withOAuth2Bed(ACCESS_TOKEN_SECONDS, async (bed) => {
    const revocation = await bed.revokeHeldToken();
    const idleMs = ACCESS_TOKEN_SECONDS * 1_000 + 1_000;
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const callersFrom = performance.now();
    const load = await bed.load(durationMs);
    return revocationRow(
      bed,
      '2. DOT 1.7: token revoked while idle, callers back after it expired',
      load,
      `revoked right after the first; callers from ${seconds(callersFrom - revocation.at)} after the ` +
        `revocation for ${seconds(durationMs)}`,
      callersFrom,
    );
  });
}

/** Case 2, with the revocation under load and while idle. */
export async function measureRefreshGrant5xx(
  sizes: BenchSizes['callerFailures'],
): Promise<CaseResult> {
  const rows = [
    await revokedUnderLoad(sizes.revocationRunMs),
    await revokedWhileIdle(sizes.revocationRunMs),
  ];
  const failed = rows.map((row) => `${row.failedCalls} of ${row.calls}`).join(', ');
  return {
    rows,
    targets: [
      {
        goal: 'a refresh grant that keeps answering 500 costs no call: the password grant takes over',
        measured: `failed: ${failed}`,
        met: rows.every((row) => row.failedCalls === 0),
      },
    ],
  };
}
