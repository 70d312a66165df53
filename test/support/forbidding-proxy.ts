import { Agent, createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** The challenge some OAuth2 resource servers send with a 403 for a refused token, where EnKash sends a 401. */
export const FORBIDDEN_INVALID_TOKEN_CHALLENGE =
  'Bearer error="invalid_token", error_description="The access token is invalid or has been revoked"';

/**
 * An HTTP proxy on 127.0.0.1 in front of the simulator that stands for a resource server answering a refused token
 * with `403` and `WWW-Authenticate: Bearer error="invalid_token"` instead of EnKash's 401: every 401 a resource path
 * answers becomes such a 403 (with no challenge when `challenge` is `null`: a plain permission error). The token
 * endpoint and every other answer pass through unchanged.
 */
export class ForbiddingProxy {
  /** The `WWW-Authenticate` sent with each 403; `null` sends none. */
  challenge: string | null = FORBIDDEN_INVALID_TOKEN_CHALLENGE;
  /** 401s turned into 403s so far. */
  forbidden = 0;

  private readonly agent = new Agent({ keepAlive: true });

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
    private readonly tokenPath: string,
    readonly port: number,
  ) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.forward(req, res));
  }

  /** Starts a proxy on a free port that forwards to `targetPort` on 127.0.0.1. */
  static async start(targetPort: number, tokenPath = '/oauth/token'): Promise<ForbiddingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return new ForbiddingProxy(server, targetPort, tokenPath, port);
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const upstream = request(
      {
        host: '127.0.0.1',
        port: this.targetPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.agent,
      },
      (answer) => {
        const path = (req.url ?? '/').split('?')[0];
        if (answer.statusCode === 401 && path !== this.tokenPath) {
          answer.resume();
          this.forbidden += 1;
          res.writeHead(403, {
            'Content-Type': 'application/json',
            ...(this.challenge !== null ? { 'WWW-Authenticate': this.challenge } : {}),
          });
          res.end('{"error":"invalid_token","error_description":"The access token is invalid"}');
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
