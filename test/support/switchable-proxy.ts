import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of the simulator, that can make EnKash's token endpoint unreachable for real:
 * while it is down, new connections are refused (ECONNREFUSED, nothing listens on the port) and the open connections
 * that carried a token request are cut. Open connections that carried API calls stay up, as they do when a load
 * balancer stops routing new connections to a host.
 */
export class SwitchableProxy {
  private server: Server | undefined;
  private readonly connections = new Map<Socket, { upstream: Socket; tokenTraffic: boolean }>();

  private constructor(
    private readonly targetPort: number,
    private readonly tokenPath: string,
    readonly port: number,
  ) {}

  /** Starts a proxy on a free port that forwards to `targetPort` on 127.0.0.1. */
  static async start(targetPort: number, tokenPath = '/oauth/token'): Promise<SwitchableProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = new SwitchableProxy(targetPort, tokenPath, port);
    await proxy.up();
    return proxy;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether it accepts connections. */
  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** Accepts connections again, on the same port. */
  async up(): Promise<void> {
    if (this.server !== undefined) return;
    const server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** Refuses new connections and cuts those that carried a token request. */
  down(): void {
    const server = this.server;
    this.server = undefined;
    server?.close();
    for (const [client, { upstream, tokenTraffic }] of this.connections) {
      if (!tokenTraffic) continue;
      client.destroy();
      upstream.destroy();
    }
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const [client, { upstream }] of this.connections) {
      client.destroy();
      upstream.destroy();
    }
    this.connections.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    const entry = { upstream, tokenTraffic: false };
    this.connections.set(client, entry);
    const requestLine = `POST ${this.tokenPath}`;
    client.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith(requestLine)) entry.tokenTraffic = true;
      if (!entry.tokenTraffic || this.server !== undefined) upstream.write(chunk);
      else client.destroy();
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = (): void => {
      this.connections.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}
