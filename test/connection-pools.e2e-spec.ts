// Idle keep-alive connections: a server closes them after its own idle limit; a call that picks one just as the
// server closes it fails with ECONNRESET. The library's pools drop them first, a second before the limit the server
// announces (`Keep-Alive: timeout=N`), as Node's global agent does.
import 'reflect-metadata';
import type { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { EnkashHttpService } from '../lib/index.js';
import { IDLE_CONNECTION_TIMEOUT_MS } from '../lib/http/connection-pools.js';
import { bootWith } from './support/enkash-app.js';
import { startHandMadeEnkash } from './support/hand-made-enkash.js';
import type { HandMadeEnkash } from './support/hand-made-enkash.js';
import { until } from './support/waiting.js';
import type { TestingModule } from '@nestjs/testing';

/** The server's idle limit: it announces `Keep-Alive: timeout=2`, so the client keeps an idle connection 1 s. */
const SERVER_IDLE_LIMIT_MS = 2_000;
const BALANCE = '/api/v0/payout-account/balance';

describe('idle connections to EnKash', () => {
  let enkash: HandMadeEnkash;
  let app: TestingModule | undefined;
  /** The connection each resource call came on, in order. */
  const resourceSockets: Socket[] = [];

  beforeEach(async () => {
    resourceSockets.length = 0;
    enkash = await startHandMadeEnkash((req, res) => {
      resourceSockets.push(req.socket);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"balance":1}');
    });
    enkash.server.keepAliveTimeout = SERVER_IDLE_LIMIT_MS;
  });

  async function boot(): Promise<EnkashHttpService> {
    ({ app } = await bootWith(enkash.options));
    return app.get(EnkashHttpService);
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await enkash.close();
  });

  /** The idle timeout of every connection back in the pool, once the pool has them. */
  async function idleTimeouts(response: { config: { httpAgent?: unknown } }): Promise<number[]> {
    const agent = response.config.httpAgent as Agent;
    const free = () => Object.values(agent.freeSockets).flat() as Socket[];
    await until(() => free().length > 0, 2_000, 'the connection back in the pool');
    return free().map((socket) => socket.timeout ?? 0);
  }

  it('are closed a second before the idle limit the server announces', async () => {
    const http = await boot();
    const response = await firstValueFrom(http.get(BALANCE));
    // Keep-Alive: timeout=2, less the second Node keeps in hand.
    expect(await idleTimeouts(response)).toEqual([SERVER_IDLE_LIMIT_MS - 1_000]);
  });

  it(`are closed after ${IDLE_CONNECTION_TIMEOUT_MS} ms when the server announces no limit`, async () => {
    enkash.server.keepAliveTimeout = 0; // no Keep-Alive header
    const http = await boot();
    const response = await firstValueFrom(http.get(BALANCE));
    expect(response.headers['keep-alive']).toBeUndefined();
    expect(await idleTimeouts(response)).toEqual([IDLE_CONNECTION_TIMEOUT_MS]);
  });

  it('are reused while they are fresh', async () => {
    const http = await boot();
    await firstValueFrom(http.get(BALANCE));
    await firstValueFrom(http.get(BALANCE));
    expect(resourceSockets).toHaveLength(2);
    expect(resourceSockets[1]).toBe(resourceSockets[0]);
  });
});
