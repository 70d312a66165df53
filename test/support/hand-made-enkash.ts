// EnKash as a plain HTTP server, for tests that need what the simulator does not do (hold a call, stream an answer
// that never ends, announce its own idle limit): it answers the token request with a fixed token and hands every
// other request to the test.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** A running hand-made EnKash. */
export interface HandMadeEnkash {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The Node server, for its settings (`keepAliveTimeout`). */
  readonly server: Server;
  /** The module options that point at it. */
  readonly options: {
    baseUrl: string;
    clientId: string;
    clientSecret: string;
    username: string;
    password: string;
  };
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts it on a free loopback port; `answer` gets every request but the token request, with its body as read. */
export async function startHandMadeEnkash(
  answer: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<HandMadeEnkash> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url !== '/oauth/token')
        return answer(req, res, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          access_token: 'hand-made-access-token',
          token_type: 'bearer',
          refresh_token: 'hand-made-refresh-token',
          expires_in: 86399,
          scope: 'read write',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    server,
    options: { baseUrl: url, clientId: 'id', clientSecret: 'secret', username: 'u', password: 'p' },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
