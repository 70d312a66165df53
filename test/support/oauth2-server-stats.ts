// The django-oauth-toolkit test server's bookkeeping (oauth2-server.ts): what it received, as its test-only endpoints
// /test/stats and /test/reset give it, and the counts tests read from it.
import { sendToOAuth2Server } from './oauth2-server-client.js';

/** The test-only endpoint that answers {@link OAuth2ServerStats} as JSON. */
const STATS_PATH = '/test/stats';
/** The test-only endpoint that forgets what the server received. */
const RESET_PATH = '/test/reset';

/** One request the token endpoint received, as the server's bookkeeping saw it. */
export interface OAuth2TokenRequest {
  /** The form's `grant_type`: `password`, `refresh_token`... */
  readonly grant: string;
  /** The HTTP status answered. */
  readonly status: number;
  /** The OAuth2 `error` of the answer (`invalid_grant`, `invalid_client`...); `null` for a success or a 500 page. */
  readonly error: string | null;
  /** When it was received, in epoch milliseconds. */
  readonly at: number;
}

/** What the server received since it started or since {@link resetOAuth2ServerStats}. */
export interface OAuth2ServerStats {
  /** Every token request, oldest first. */
  readonly tokenRequests: readonly OAuth2TokenRequest[];
  /** Token requests by grant, then by HTTP status (as a string). */
  readonly tokenRequestsByGrant: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Requests to the revocation endpoint, by HTTP status. */
  readonly revocations: Readonly<Record<string, number>>;
  /** Calls to the protected resources, by path, then by HTTP status. */
  readonly resourceCalls: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Every access and refresh token it handed out, oldest first. */
  readonly issuedTokens: readonly string[];
}

/** What the server at `url` received, read from its bookkeeping endpoint. */
export async function readOAuth2ServerStats(url: string): Promise<OAuth2ServerStats> {
  const answer = await sendToOAuth2Server(url, 'GET', STATS_PATH);
  if (answer.status !== 200) throw new Error(`GET ${STATS_PATH} answered ${answer.status}`);
  return JSON.parse(answer.body) as OAuth2ServerStats;
}

/** Makes the server at `url` forget what it received. */
export async function resetOAuth2ServerStats(url: string): Promise<void> {
  const answer = await sendToOAuth2Server(url, 'POST', RESET_PATH);
  if (answer.status !== 200) throw new Error(`POST ${RESET_PATH} answered ${answer.status}`);
}

/** Whether the server at `url` answers its bookkeeping endpoint within `timeoutMs`: whether it is up. */
export async function oauth2ServerStatsAnswer(url: string, timeoutMs: number): Promise<boolean> {
  try {
    return (
      (await sendToOAuth2Server(url, 'GET', STATS_PATH, {}, undefined, timeoutMs)).status === 200
    );
  } catch {
    return false;
  }
}

/** How many token requests of `grant` the server received, of any status or of `status`. */
export function tokenRequestsOf(
  stats: OAuth2ServerStats,
  grant: 'password' | 'refresh_token',
  status?: number,
): number {
  return stats.tokenRequests.filter(
    (entry) => entry.grant === grant && (status === undefined || entry.status === status),
  ).length;
}
