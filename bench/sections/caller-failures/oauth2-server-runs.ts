// What cases 2 and 5 share: an application against django-oauth-toolkit (test/oauth2-server), with callers calling
// its protected resource, and the server's own count of what it received.
import type { INestApplicationContext } from '@nestjs/common';
import { EnkashAuthService, EnkashHttpService } from '../../../lib/index.js';
import {
  OAUTH2_BALANCE_PATH,
  startOAuth2Server,
  tokenRequestsOf,
} from '../../../test/support/oauth2-server.js';
import type { OAuth2Server, OAuth2ServerStats } from '../../../test/support/oauth2-server.js';
import { bootWith } from '../../support/boot.js';
import { runLoad } from '../../support/load.js';
import type { LoadResult } from '../../support/load.js';
import { LogTally } from './case-row.js';

/** Concurrent callers of every run against the server. */
export const OAUTH2_CALLERS = 4;

/** The server could not start (Debian's django-oauth-toolkit missing): the cases that need it are left out. */
export class OAuth2ServerUnavailable extends Error {
  override readonly name = 'OAuth2ServerUnavailable';
}

/** When a token was revoked, on `performance.now()`'s clock (`at`) and on the wall clock (the server's). */
export interface Revocation {
  readonly at: number;
  readonly epochMs: number;
}

/** One application against one server. */
export interface OAuth2Bed {
  readonly server: OAuth2Server;
  readonly app: INestApplicationContext;
  readonly auth: EnkashAuthService;
  readonly logs: LogTally;
  /** Callers calling the protected resource for `durationMs`. */
  load(durationMs: number): Promise<LoadResult>;
  /** Revokes the token the application holds now through the server's revocation endpoint; when it did. */
  revokeHeldToken(): Promise<Revocation>;
}

/**
 * Starts a server whose access tokens live `accessTokenSeconds`, boots an application against it (defaults but
 * `acquireOnStartup: false`), lets it obtain its first token, forgets what the server counted so far, and runs
 * `measure`; closes both afterwards, whatever happens.
 */
export async function withOAuth2Bed<T>(
  accessTokenSeconds: number,
  measure: (bed: OAuth2Bed) => Promise<T>,
): Promise<T> {
  let server: OAuth2Server;
  try {
    server = await startOAuth2Server({ accessTokenSeconds });
  } catch (error) {
    throw new OAuth2ServerUnavailable((error as Error).message);
  }
  try {
    const logs = new LogTally();
    const app = await bootWith(
      {
        baseUrl: server.url,
        tokenPath: server.tokenPath,
        clientId: server.clientId,
        clientSecret: server.clientSecret,
        username: server.username,
        password: server.password,
        acquireOnStartup: false,
      },
      logs,
    );
    try {
      const auth = app.get(EnkashAuthService);
      const enkash = app.get(EnkashHttpService);
      await auth.getAccessToken();
      await server.resetStats();
      return await measure({
        server,
        app,
        auth,
        logs,
        load: (durationMs) =>
          runLoad(OAUTH2_CALLERS, { durationMs }, () => enkash.axiosRef.get(OAUTH2_BALANCE_PATH)),
        async revokeHeldToken(): Promise<Revocation> {
          const token = auth.getCachedAccessToken();
          if (token === undefined) throw new Error('no token held to revoke');
          const revocation = { at: performance.now(), epochMs: Date.now() };
          await server.revoke(token, 'access_token');
          return revocation;
        },
      });
    } finally {
      await app.close();
    }
  } finally {
    await server.close();
  }
}

/** Runs `revoke` `afterMs` into a load of `durationMs`; the load, and when the token was revoked. */
export async function loadWithRevocation(
  bed: OAuth2Bed,
  durationMs: number,
  afterMs: number,
): Promise<{ load: LoadResult; revocation: Revocation }> {
  let revoked: Revocation | undefined;
  let revocationError: unknown;
  const revocation = new Promise<void>((resolve) =>
    setTimeout(() => {
      bed.revokeHeldToken().then(
        (done) => {
          revoked = done;
          resolve();
        },
        (error: unknown) => {
          revocationError = error;
          resolve();
        },
      );
    }, afterMs),
  );
  const load = await bed.load(durationMs);
  await revocation;
  if (revoked === undefined) throw revocationError;
  return { load, revocation: revoked };
}

/** Token requests of a grant the server received since `sinceEpochMs`, by HTTP status: `2 × 200, 5 × 500`. */
export function grantOutcomes(
  stats: OAuth2ServerStats,
  grant: 'password' | 'refresh_token',
  sinceEpochMs = Number.NEGATIVE_INFINITY,
): string {
  const counts = new Map<number, number>();
  for (const request of stats.tokenRequests) {
    if (request.grant !== grant || request.at < sinceEpochMs) continue;
    counts.set(request.status, (counts.get(request.status) ?? 0) + 1);
  }
  if (counts.size === 0) return 'none';
  return [...counts].map(([status, times]) => `${times} × ${status}`).join(', ');
}

/** Password and refresh grants the server received. */
export function grantsOf(stats: OAuth2ServerStats): { password: number; refresh: number } {
  return {
    password: tokenRequestsOf(stats, 'password'),
    refresh: tokenRequestsOf(stats, 'refresh_token'),
  };
}

/** How many calls the protected resource answered with `status`. */
export function resourceAnswers(stats: OAuth2ServerStats, status: number): number {
  return stats.resourceCalls[OAUTH2_BALANCE_PATH]?.[String(status)] ?? 0;
}
