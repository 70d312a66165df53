import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/**
 * How long an idle pooled connection is kept, at most. A server that announces its own limit
 * (`Keep-Alive: timeout=N`) gets its connections closed a second before it would close them itself. Without a limit
 * Node keeps idle connections forever and ignores that announcement, so a call that picks a connection just as the
 * server closes it fails with `ECONNRESET`. The same 5 seconds as Node's global agent.
 */
export const IDLE_CONNECTION_TIMEOUT_MS = 5_000;

/** Keep-alive connection pools of the library's own, so that shutdown can close their sockets. */
export interface ConnectionPools {
  readonly httpAgent: HttpAgent;
  readonly httpsAgent: HttpsAgent;
}

/** New pools for http and https; `maxSockets` bounds each (default: no bound). */
export function createConnectionPools(maxSockets?: number): ConnectionPools {
  const options = {
    keepAlive: true,
    timeout: IDLE_CONNECTION_TIMEOUT_MS,
    ...(maxSockets === undefined ? {} : { maxSockets }),
  };
  return { httpAgent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) };
}

/** Closes every socket of `pools`, busy ones included. */
export function destroyConnectionPools(pools: ConnectionPools): void {
  pools.httpAgent.destroy();
  pools.httpsAgent.destroy();
}
