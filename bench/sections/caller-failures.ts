// 7. Failures a caller should never see: the five cases of issue 18, each against real local servers (the simulator
// in a process of its own, behind a proxy where a case needs one, and django-oauth-toolkit for cases 2 and 5), with
// what callers got and what the token endpoint received.
import type { BenchSizes } from '../bench-sizes.js';
import { count } from '../support/report.js';
import type { SectionResult, Target } from '../support/report.js';
import type { CaseResult, CaseRow } from './caller-failures/case-row.js';
import { measureColdStartBlips, TOKEN_TIMEOUT_MS } from './caller-failures/cold-start-blips.js';
import { measureForbiddenToken } from './caller-failures/forbidden-token.js';
import { OAuth2ServerUnavailable } from './caller-failures/oauth2-server-runs.js';
import { measureRefreshGrant5xx } from './caller-failures/refresh-grant-5xx.js';
import { measureRenewalStrategy } from './caller-failures/renewal-strategy.js';
import { measureShortTokens } from './caller-failures/short-tokens.js';

type CaseMeasure = (sizes: BenchSizes['callerFailures']) => Promise<CaseResult>;

export async function measureCallerFailures(
  sizes: BenchSizes['callerFailures'],
): Promise<SectionResult> {
  const rows: CaseRow[] = [];
  const targets: Target[] = [];
  const notes: string[] = [];
  const cases: ReadonlyArray<[number, CaseMeasure]> = [
    [1, measureColdStartBlips],
    [2, measureRefreshGrant5xx],
    [3, measureForbiddenToken],
    [4, measureShortTokens],
    [5, measureRenewalStrategy],
  ];
  for (const [number, measure] of cases) {
    try {
      const result = await measure(sizes);
      rows.push(...result.rows);
      targets.push(...result.targets);
    } catch (error) {
      if (!(error instanceof OAuth2ServerUnavailable)) throw error;
      notes.push(
        `Case ${number} left out: django-oauth-toolkit could not start (${error.message}).`,
      );
    }
  }
  notes.push(
    'Each caller sends its next call as soon as the last one settled: where calls fail at once, without a request, ' +
      'the calls column counts how fast they fail; read failed calls against calls.',
    ...rows.flatMap((row) => row.footnotes ?? []),
  );
  return {
    title: '7. Failures a caller should never see',
    setup:
      "The five cases of issue 18, each from a cold application with the library's defaults but " +
      '`acquireOnStartup: false`, calling through `EnkashHttpService.axiosRef`. Case 1: for each one-shot fault of ' +
      `the token endpoint (\`tokenRequestTimeoutMs\` ${TOKEN_TIMEOUT_MS} ms), ${sizes.burstCallers} concurrent ` +
      `callers at a cold start, then ${sizes.followers} more as soon as the first has its answer. Cases 2 and 5: ` +
      "Debian's django-oauth-toolkit 1.7 (refresh-token rotation; a new pair on every password grant; HTTP 500 to " +
      'the refresh token of an access token revoked through its revocation endpoint), the token revoked that way. ' +
      'Case 3: a proxy in front of the simulator answers every refused token with 403 and ' +
      '`WWW-Authenticate: Bearer error="invalid_token"`. Case 4: the simulator issuing short tokens. Grants are ' +
      'counted by the server, after the first token for cases 2, 3 and 5 and from the cold start for cases 1 and 4.',
    header: ['case', 'calls', 'failed calls', 'password grants', 'refresh grants', 'other notes'],
    rows: rows.map((row) => [
      row.label,
      count(row.calls),
      count(row.failedCalls),
      count(row.passwordGrants),
      count(row.refreshGrants),
      row.notes.join('; '),
    ]),
    targets,
    notes,
  };
}
