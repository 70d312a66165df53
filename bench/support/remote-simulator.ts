// The parent's side of bench/support/simulator-process.ts: the simulator's controls, over the IPC channel.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  EnkashSimulatorFault,
  EnkashSimulatorFaultOptions,
  EnkashSimulatorResourceFault,
  EnkashSimulatorResourceFaultOptions,
  EnkashSimulatorStats,
} from '../../lib/testing/index.js';

/** What the parent asks of the simulator process. */
export type SimulatorCommand =
  | { op: 'stats' }
  | { op: 'tokenRequestTimes' }
  | { op: 'resetStats' }
  | { op: 'setTokenLifetime'; seconds: number }
  | { op: 'injectFault'; fault: EnkashSimulatorFault; options?: EnkashSimulatorFaultOptions }
  | {
      op: 'injectResourceFault';
      fault: EnkashSimulatorResourceFault;
      options?: EnkashSimulatorResourceFaultOptions;
    }
  | { op: 'clearFaults' }
  | { op: 'revokeAccessToken' }
  | { op: 'close' };

/** The simulator process's answer to command `id` (`0`: the simulator is listening). */
export type SimulatorReply = { id: number; value: unknown } | { id: number; error: string };

/** Credentials the simulator accepts. */
export interface SimulatorCredentials {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}

/** When the simulator received a token request, and which grant it was. */
export interface TokenRequestTime {
  grantType: string;
  receivedAt: number;
}

/** An EnKash simulator running in a child process. */
export class RemoteSimulator {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: SimulatorReply) => void>();

  private constructor(
    private readonly child: ChildProcess,
    /** Base URL, e.g. `http://127.0.0.1:41234`. */
    readonly url: string,
    /** The credentials it accepts. */
    readonly credentials: SimulatorCredentials,
  ) {
    child.on('message', (reply: SimulatorReply) => {
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  /** Forks the simulator process and waits until it listens. */
  static async start(): Promise<RemoteSimulator> {
    const script = fileURLToPath(new URL('./simulator-process.js', import.meta.url));
    // 'advanced': structured clone, so that `times: Infinity` survives the trip.
    const child = fork(script, [], { serialization: 'advanced', stdio: 'inherit' });
    const ready = await new Promise<SimulatorReply>((resolve, reject) => {
      child.once('message', resolve);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the simulator process exited (${code})`)));
    });
    if ('error' in ready) throw new Error(ready.error);
    const { url, options } = ready.value as { url: string; options: SimulatorCredentials };
    const { clientId, clientSecret, username, password } = options;
    return new RemoteSimulator(child, url, { clientId, clientSecret, username, password });
  }

  /** A snapshot of the simulator's counters. */
  stats(): Promise<EnkashSimulatorStats> {
    return this.ask({ op: 'stats' }) as Promise<EnkashSimulatorStats>;
  }

  /** Every token request since the last reset, in order of arrival. */
  tokenRequestTimes(): Promise<TokenRequestTime[]> {
    return this.ask({ op: 'tokenRequestTimes' }) as Promise<TokenRequestTime[]>;
  }

  /** Zeroes the counters and empties the request logs (they would grow with every call). */
  async resetStats(): Promise<void> {
    await this.ask({ op: 'resetStats' });
  }

  /** The lifetime, in seconds, of tokens issued from now on. */
  async setTokenLifetime(seconds: number): Promise<void> {
    await this.ask({ op: 'setTokenLifetime', seconds });
  }

  /** Queues a token endpoint fault (a `delay` stands for the network between a client and EnKash). */
  async injectFault(
    fault: EnkashSimulatorFault,
    options?: EnkashSimulatorFaultOptions,
  ): Promise<void> {
    await this.ask({ op: 'injectFault', fault, options });
  }

  /** Queues a resource fault. */
  async injectResourceFault(
    fault: EnkashSimulatorResourceFault,
    options?: EnkashSimulatorResourceFaultOptions,
  ): Promise<void> {
    await this.ask({ op: 'injectResourceFault', fault, options });
  }

  /** Removes every queued fault. */
  async clearFaults(): Promise<void> {
    await this.ask({ op: 'clearFaults' });
  }

  /** The current access token stops being valid at once, as if revoked by another party. */
  async revokeAccessToken(): Promise<void> {
    await this.ask({ op: 'revokeAccessToken' });
  }

  /** Closes the server and waits for the process to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.ask({ op: 'close' }).catch(() => this.child.kill('SIGKILL'));
    await exited;
  }

  private ask(command: SimulatorCommand): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (reply) =>
        'error' in reply ? reject(new Error(reply.error)) : resolve(reply.value),
      );
      this.child.send({ id, command }, (error) => {
        if (error === null) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }
}
