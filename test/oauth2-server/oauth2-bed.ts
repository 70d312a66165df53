// One Nest application using the library against one django-oauth-toolkit server: what a scenario of the
// library-*.e2e-spec.ts files starts, calls through and counts.
import 'reflect-metadata';
import { afterEach, expect } from '@jest/globals';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { EnkashAuthModule, EnkashAuthService, EnkashHttpService } from '../../lib/index.js';
import type { EnkashAuthOptions } from '../../lib/index.js';
import {
  OAUTH2_BALANCE_PATH,
  startOAuth2Server,
  type OAuth2Server,
  type OAuth2ServerOptions,
  type OAuth2ServerStats,
} from '../support/oauth2-server.js';
import { credentialsOf, SecretWatch } from '../support/secret-watch.js';
import { sleep } from '../support/waiting.js';

/** What one call through `EnkashHttpService` came to, as its caller sees it. */
export type CallOutcome =
  | { ok: true; status: number }
  | { ok: false; error: unknown; code: string | undefined; status: number | undefined };

/** An application wired to its own OAuth2 server, every log line captured. */
export interface OAuth2Bed {
  readonly server: OAuth2Server;
  readonly app: TestingModule;
  readonly auth: EnkashAuthService;
  readonly http: EnkashHttpService;
  readonly watch: SecretWatch;
  /** One GET of `path` (the balance by default) through `EnkashHttpService`. */
  call(path?: string): Promise<CallOutcome>;
  /**
   * `callers` callers calling without pause (but `pauseMs` between two calls of one caller) until `stop()` resolves;
   * resolves with every outcome once all have stopped.
   */
  load(callers: number, stop: () => Promise<void>, pauseMs?: number): Promise<CallOutcome[]>;
  /** Resolves once `condition` holds, polling every 25 ms; after `timeoutMs` rejects with what the server received and the library logged. */
  until(
    condition: () => boolean | Promise<boolean>,
    timeoutMs: number,
    what: string,
  ): Promise<void>;
  /** The server's stats, with a short description for failure messages. */
  stats(): Promise<OAuth2ServerStats>;
  /** Closes the app and the server, and checks that no credential or token showed up in a log line or an error. */
  close(): Promise<void>;
}

const openBeds = new Set<OAuth2Bed>();

/** Closes, after each test, every bed it started, and checks them for leaked secrets. */
export function closeOAuth2BedsAfterEach(): void {
  afterEach(async () => {
    const beds = [...openBeds];
    openBeds.clear();
    for (const bed of beds) await bed.close();
  });
}

/**
 * Starts a django-oauth-toolkit server (`server` options) and an application pointed at it with
 * `EnkashAuthModule.forRoot` (its credentials, `tokenPath`, then `overrides`); closed by {@link closeOAuth2BedsAfterEach}.
 */
export async function startOAuth2Bed(
  server: OAuth2ServerOptions = {},
  overrides: Partial<EnkashAuthOptions> = {},
): Promise<OAuth2Bed> {
  const oauth2 = await startOAuth2Server(server);
  const configured = { ...overrides };
  const watch = new SecretWatch().captureConsole();
  let app: TestingModule;
  try {
    app = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        EnkashAuthModule.forRoot({
          baseUrl: oauth2.url,
          tokenPath: oauth2.tokenPath,
          clientId: oauth2.clientId,
          clientSecret: oauth2.clientSecret,
          username: oauth2.username,
          password: oauth2.password,
          acquireOnStartup: false,
          tokenRequestTimeoutMs: 3_000,
          requestTimeoutMs: 5_000,
          ...configured,
        }),
      ],
    })
      .setLogger(watch)
      .compile();
    app.useLogger(watch);
    await app.init();
  } catch (error) {
    watch.dispose();
    await oauth2.close();
    throw error;
  }
  const auth = app.get(EnkashAuthService);
  const http = app.get(EnkashHttpService);
  let closed = false;
  let lastStats: OAuth2ServerStats | undefined;
  /** Every token seen so far: the server's bookkeeping starts afresh when it is started again. */
  const tokensSeen = new Set<string>();

  const call = async (path = OAUTH2_BALANCE_PATH): Promise<CallOutcome> => {
    const settled = await watch.settle(http.axiosRef.get(path));
    // The answer's config no longer holds the token (the library deletes it): the held one stands in for it.
    const held = auth.getCachedAccessToken();
    if (held !== undefined) tokensSeen.add(held);
    if (settled.ok) return { ok: true, status: settled.value.status };
    const error = settled.error as { code?: unknown; status?: unknown };
    return {
      ok: false,
      error: settled.error,
      code: typeof error.code === 'string' ? error.code : undefined,
      status: typeof error.status === 'number' ? error.status : undefined,
    };
  };

  const bed: OAuth2Bed = {
    server: oauth2,
    app,
    auth,
    http,
    watch,
    call,
    async load(callers, stop, pauseMs = 20): Promise<CallOutcome[]> {
      let stopping = false;
      const stopped = stop().finally(() => {
        stopping = true;
      });
      const outcomes: CallOutcome[] = [];
      const caller = async (): Promise<void> => {
        while (!stopping) {
          outcomes.push(await call());
          await sleep(pauseMs);
        }
      };
      await Promise.all([stopped, ...Array.from({ length: callers }, caller)]);
      return outcomes;
    },
    async until(condition, timeoutMs, what): Promise<void> {
      const deadline = performance.now() + timeoutMs;
      while (!(await condition())) {
        if (performance.now() >= deadline) {
          const requests = (lastStats?.tokenRequests ?? []).map(
            (entry) => `${entry.grant} ${entry.status}${entry.error ? ` ${entry.error}` : ''}`,
          );
          const lines = watch.lines.slice(-12).map((line) => `  ${line.level}: ${line.text}`);
          throw new Error(
            `Not within ${timeoutMs} ms: ${what}\n` +
              `token requests the server received: ${requests.join(', ') || 'none'}\n` +
              `status: ${JSON.stringify(auth.getStatus())}\n` +
              `the library's last log lines:\n${lines.join('\n')}`,
          );
        }
        await sleep(25);
      }
    },
    async stats(): Promise<OAuth2ServerStats> {
      lastStats = await oauth2.stats();
      for (const token of lastStats.issuedTokens) tokensSeen.add(token);
      return lastStats;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await app.close();
        if (oauth2.running) await bed.stats();
      } finally {
        watch.dispose();
        await oauth2.close();
      }
      const secrets = [
        ...credentialsOf(oauth2),
        ...credentialsOf({ ...oauth2, ...configured }),
        ...[...tokensSeen].map((value, index) => ({ name: `issued token #${index}`, value })),
      ];
      expect(watch.leaks(secrets)).toEqual([]);
    },
  };
  openBeds.add(bed);
  return bed;
}
