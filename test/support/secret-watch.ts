import { inspect } from 'node:util';
import type { LoggerService } from '@nestjs/common';
import type { EnkashSimulator } from '../../lib/testing/index.js';

/** One line logged through Nest's logger, at any level. */
export interface CapturedLogLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal' | 'console';
  /** The message and every extra parameter, as `util.inspect` shows them. */
  text: string;
  /** `Date.now()` when it was logged. */
  at: number;
}

/** A secret and the name a failing test shows instead of its value. */
export interface NamedSecret {
  name: string;
  value: string;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/**
 * Captures everything the library logs (every level, and `console` too) and every error a test receives, and checks
 * that no secret shows up in any of it: not in a message, not in `util.inspect(error, { depth: 8 })`, not in
 * `JSON.stringify(error)`, not in a stack or a `cause`.
 */
export class SecretWatch implements LoggerService {
  readonly lines: CapturedLogLine[] = [];
  readonly errors: unknown[] = [];
  private readonly restoreConsole: (() => void)[] = [];

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('log', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('error', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('warn', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('debug', message, optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('verbose', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('fatal', message, optionalParams);
  }

  /** Routes `console.*` into the watch as well, until {@link dispose}: the library must never print on its own. */
  captureConsole(): this {
    for (const method of CONSOLE_METHODS) {
      const original = console[method];
      console[method] = (...params: unknown[]): void => {
        this.capture('console', params[0], params.slice(1));
      };
      this.restoreConsole.push(() => {
        console[method] = original;
      });
    }
    return this;
  }

  /** Gives `console` back. */
  dispose(): void {
    for (const restore of this.restoreConsole.splice(0)) restore();
  }

  /** Keeps `error` for the final scan and returns it. */
  record(error: unknown): unknown {
    this.errors.push(error);
    return error;
  }

  /** Awaits `promise`; a rejection is recorded and returned instead of thrown. */
  async settle<T>(
    promise: Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    try {
      return { ok: true, value: await promise };
    } catch (error) {
      return { ok: false, error: this.record(error) };
    }
  }

  /** Lines logged at `level` (all levels when omitted), as text. */
  linesAt(level?: CapturedLogLine['level']): string[] {
    return this.lines
      .filter((line) => level === undefined || line.level === level)
      .map((l) => l.text);
  }

  /** Lines logged after `epochMs`. */
  linesAfter(epochMs: number): CapturedLogLine[] {
    return this.lines.filter((line) => line.at > epochMs);
  }

  /**
   * Where each secret was found, as `"<secret name> in <log line n | error n>"`; the values themselves never appear
   * in the result, so that a failing assertion does not print them either.
   */
  leaks(secrets: readonly NamedSecret[]): string[] {
    const places = [
      ...this.lines.map((line, index) => ({
        where: `log line ${index} (${line.level})`,
        text: line.text,
      })),
      ...this.errors.map((error, index) => ({
        where: `error ${index}`,
        text: describeError(error),
      })),
    ];
    const found: string[] = [];
    for (const { name, value } of secrets) {
      if (value === '') continue;
      for (const { where, text } of places) {
        if (text.includes(value)) found.push(`${name} in ${where}`);
      }
    }
    return found;
  }

  private capture(level: CapturedLogLine['level'], message: unknown, params: unknown[]): void {
    const text = [message, ...params.filter((param) => param !== undefined)]
      .map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 8 })))
      .join(' ');
    this.lines.push({ level, text, at: Date.now() });
  }
}

/** Every way a user could print an error: `util.inspect` to depth 8 (hidden properties too), JSON, string, stack. */
export function describeError(error: unknown): string {
  const parts = [
    inspect(error, { depth: 8 }),
    inspect(error, { depth: 8, showHidden: true }),
    String(error),
  ];
  try {
    parts.push(JSON.stringify(error) ?? '');
  } catch (cause) {
    parts.push(`JSON.stringify failed: ${String(cause)}`);
  }
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; depth += 1) {
    parts.push(current.stack ?? '', current.message);
    current = current.cause;
  }
  return parts.join('\n');
}

/**
 * The credentials of an app talking to `simulator`, in every form they travel in: the client secret, the username,
 * the password (raw, URL-encoded and form-encoded) and the `Basic` header value.
 */
export function credentialsOfSimulator(simulator: EnkashSimulator): NamedSecret[] {
  return credentialsOf(simulator.options);
}

/**
 * `credentials` in every form they travel in: the client secret, the username, the password (raw, URL-encoded and
 * form-encoded) and the `Basic` header value.
 */
export function credentialsOf(credentials: {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}): NamedSecret[] {
  const { clientId, clientSecret, username, password } = credentials;
  const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
  return [
    { name: 'client secret', value: clientSecret },
    { name: 'username', value: username },
    { name: 'password', value: password },
    { name: 'URL-encoded password', value: encodeURIComponent(password) },
    {
      name: 'form-encoded password',
      value: new URLSearchParams({ p: password }).toString().slice('p='.length),
    },
    { name: 'Basic header value', value: basic },
  ];
}

/**
 * What must never leak for an app talking to `simulator`: its {@link credentialsOfSimulator}, and every access and
 * refresh token the simulator has handed out so far.
 */
export function secretsOfSimulator(simulator: EnkashSimulator): NamedSecret[] {
  return [
    ...credentialsOfSimulator(simulator),
    ...simulator.issuedTokens.map((value, index) => ({ name: `issued token #${index}`, value })),
  ];
}
