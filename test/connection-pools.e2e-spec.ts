// Idle keep-alive connections: a server closes them after its own idle limit; a call that picks one just as the
// server closes it fails with ECONNRESET. The library's pools drop them first, a second before the limit the server
// announces (`Keep-Alive: timeout=N`), as Node's global agent does.
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { Agent, Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { EnkashHttpService } from '../lib/index.js';
import { IDLE_CONNECTION_TIMEOUT_MS } from '../lib/http/connection-pools.js';
import { bootWith } from './support/enkash-app.js';
import { until } from './support/waiting.js';
import type { TestingModule } from '@nestjs/testing';

/** The server's idle limit: it announces `Keep-Alive: timeout=2`, so the client keeps an idle connection 1 s. */
const SERVER_IDLE_LIMIT_MS = 2_000;
const BALANCE = '/api/v0/payout-account/balance';

describe('idle connections to EnKash', () => {
  let server: Server;
  let baseUrl: string;
  let app: TestingModule | undefined;
  /** The connection each resource call came on, in order. */
  const resourceSockets: Socket[] = [];

  beforeEach(async () => {
    resourceSockets.length = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/oauth/token') {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(
            JSON.stringify({
              access_token: 'idle-test-token',
              token_type: 'bearer',
              refresh_token: 'idle-test-refresh',
              expires_in: 86399,
              scope: 'read write',
            }),
          );
          return;
        }
        resourceSockets.push(req.socket);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"balance":1}');
      });
    });
    server.keepAliveTimeout = SERVER_IDLE_LIMIT_MS;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  async function boot(): Promise<EnkashHttpService> {
    const credentials = { clientId: 'id', clientSecret: 'secret', username: 'u', password: 'p' };
    ({ app } = await bootWith({ baseUrl, ...credentials }));
    return app.get(EnkashHttpService);
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** The idle timeout of every connection back in the pool, once the pool has them. */
  async function idleTimeouts(response: { config: { httpAgent?: unknown } }): Promise<number[]> {
    const agent = response.config.httpAgent as Agent;
    const free = () => Object.values(agent.freeSockets).flat() as Socket[];
    await until(() => free().length > 0, 2_000, 'the connection back in the pool');
    return free().map((socket) => socket.timeout ?? 0);
  }

  it('are closed a second before the idle limit the server announces', async () => {
    const enkash = await boot();
    const response = await firstValueFrom(enkash.get(BALANCE));
    // Keep-Alive: timeout=2, less the second Node keeps in hand.
    expect(await idleTimeouts(response)).toEqual([SERVER_IDLE_LIMIT_MS - 1_000]);
  });

  it(`are closed after ${IDLE_CONNECTION_TIMEOUT_MS} ms when the server announces no limit`, async () => {
    server.keepAliveTimeout = 0; // no Keep-Alive header
    const enkash = await boot();
    const response = await firstValueFrom(enkash.get(BALANCE));
    expect(response.headers['keep-alive']).toBeUndefined();
    expect(await idleTimeouts(response)).toEqual([IDLE_CONNECTION_TIMEOUT_MS]);
  });

  it('are reused while they are fresh', async () => {
    const enkash = await boot();
    await firstValueFrom(enkash.get(BALANCE));
    await firstValueFrom(enkash.get(BALANCE));
    expect(resourceSockets).toHaveLength(2);
    expect(resourceSockets[1]).toBe(resourceSockets[0]);
  });
});
