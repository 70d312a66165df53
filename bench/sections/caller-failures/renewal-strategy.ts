// Case 5: one refused token changes how every later renewal is made. Against django-oauth-toolkit, which issues a new
// token pair on every password grant and revokes nothing for it, with `serverTokenCheck: 'auto'` (the default): one
// token is revoked under load, then the run goes on for several lifetimes. Which grant makes each renewal after it?
import type { BenchSizes } from '../../bench-sizes.js';
import { failedCalls } from '../../support/load.js';
import { byCode, seconds } from './case-row.js';
import type { CaseResult } from './case-row.js';
import {
  grantsOf,
  loadWithRevocation,
  OAUTH2_CALLERS,
  withOAuth2Bed,
} from './oauth2-server-runs.js';

/** The server's access tokens live this long. */
const ACCESS_TOKEN_SECONDS = 3;

/** Case 5. */
export async function measureRenewalStrategy(
  sizes: BenchSizes['callerFailures'],
): Promise<CaseResult> {
  const lifetimeMs = ACCESS_TOKEN_SECONDS * 1_000;
  const durationMs = lifetimeMs * (1 + sizes.lifetimesAfterRefusal);
  let refreshAfter = 0;
  let passwordAfter = 0;
  let lastGrant: string | undefined;
  const row = await withOAuth2Bed(ACCESS_TOKEN_SECONDS, async (bed) => {
    const { load, revocation } = await loadWithRevocation(bed, durationMs, lifetimeMs);
    const stats = await bed.server.stats();
    const obtained = (grant: string, after: boolean): number =>
      stats.tokenRequests.filter(
        (request) =>
          request.grant === grant &&
          request.status === 200 &&
          request.at >= revocation.epochMs === after,
      ).length;
    const grants = grantsOf(stats);
    refreshAfter = obtained('refresh_token', true);
    passwordAfter = obtained('password', true);
    lastGrant = stats.tokenRequests.filter((request) => request.status === 200).at(-1)?.grant;
    const warnings = bed.logs.since(revocation.at);
    return {
      label: `5. DOT: one token refused, then ${sizes.lifetimesAfterRefusal} lifetimes (serverTokenCheck: auto)`,
      calls: load.samples.length,
      failedCalls: failedCalls(load.failures),
      passwordGrants: grants.password,
      refreshGrants: grants.refresh,
      notes: [
        `${ACCESS_TOKEN_SECONDS} s tokens, ${OAUTH2_CALLERS} callers, revoked ${seconds(lifetimeMs)} into ` +
          `${seconds(durationMs)}`,
        `tokens obtained before the refusal: ${obtained('refresh_token', false)} by refresh grant, ` +
          `${obtained('password', false)} by password grant; after it: ${obtained('refresh_token', true)} by ` +
          `refresh grant, ${obtained('password', true)} by password grant (each a new pair nothing revokes)`,
        `warnings logged after the refusal: ${warnings.length}; callers got ${byCode(load.failures)}`,
      ],
      footnotes: warnings
        .filter((line, index) => warnings.indexOf(line) === index)
        .slice(0, 3)
        .map((line) => `5.: a warning after the refusal: "${line}"`),
    };
  });
  return {
    rows: [row],
    targets: [
      {
        goal: 'after one refused token, renewals go back to the refresh grant',
        measured:
          `after it: ${refreshAfter} by refresh grant, ${passwordAfter} by password grant; the last ` +
          `renewal by ${lastGrant ?? 'none'}`,
        met: lastGrant === 'refresh_token',
      },
    ],
  };
}
