// Cancelling calls that are already on the wire: by the caller (an Observable unsubscribed, a cancel token, a signal)
// and by shutdown, answers being streamed included. EnKash here is a plain server that answers the token request and
// then lets a call hang, or streams an answer that never ends, and tells when the client gave up the connection.
import 'reflect-metadata';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import axios from 'axios';
import { firstValueFrom } from 'rxjs';
import { EnkashHttpService } from '../lib/index.js';
import type { ShutdownSignal } from '../lib/http/shutdown-signal.js';
import { bootWith } from './support/enkash-app.js';
import { startHandMadeEnkash } from './support/hand-made-enkash.js';
import type { HandMadeEnkash } from './support/hand-made-enkash.js';
import { until } from './support/waiting.js';

describe('calls cancelled on the wire', () => {
  let enkash: HandMadeEnkash;
  let app: TestingModule | undefined;
  /** Calls that reached the server and are waiting there, and whether the client has dropped each. */
  let waiting: Array<{ path: string; closed: boolean }>;

  beforeEach(async () => {
    waiting = [];
    enkash = await startHandMadeEnkash((req, res) => {
      if (req.url === '/quick') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
        return;
      }
      const entry = { path: req.url ?? '', closed: false };
      waiting.push(entry);
      res.on('close', () => (entry.closed = true));
      // '/stream': the head and a first chunk, then nothing more; anything else: no answer at all.
      if (req.url === '/stream')
        res.writeHead(200, { 'Content-Type': 'text/plain' }).write('first');
    });
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await enkash.close();
  });

  async function boot(): Promise<EnkashHttpService> {
    ({ app } = await bootWith(enkash.options));
    const http = app.get(EnkashHttpService);
    await firstValueFrom(http.get('/quick')); // the token is held: calls go out at once
    return http;
  }

  const reached = (path: string) => () => waiting.some((entry) => entry.path === path);
  const dropped = (path: string) => () =>
    waiting.some((entry) => entry.path === path && entry.closed);

  it('drops the connection of a call whose Observable is unsubscribed', async () => {
    const http = await boot();
    const subscription = http.get('/hang').subscribe({ error: () => undefined });
    await until(reached('/hang'), 2_000, 'the call');

    subscription.unsubscribe();

    await until(dropped('/hang'), 2_000, 'the connection dropped');
  });

  it('drops the connection of a call whose cancel token is cancelled', async () => {
    const http = await boot();
    const source = axios.CancelToken.source();
    const call = http.axiosRef.get('/hang', { cancelToken: source.token }).catch((e: unknown) => e);
    await until(reached('/hang'), 2_000, 'the call');

    source.cancel();

    expect(await call).toMatchObject({ code: 'ERR_CANCELED' });
    await until(dropped('/hang'), 2_000, 'the connection dropped');
  });

  it('ends an answer being streamed when the application closes', async () => {
    const http = await boot();
    const response = await http.axiosRef.get<Readable>('/stream', { responseType: 'stream' });
    const ended = new Promise((resolve) => response.data.once('close', resolve));
    response.data.on('error', () => undefined);

    await app?.close();
    app = undefined;

    await ended;
    await until(dropped('/stream'), 2_000, 'the connection dropped');
  });

  it("ends an answer being streamed when the caller's signal aborts", async () => {
    const http = await boot();
    const caller = new AbortController();
    const response = await http.axiosRef.get<Readable>('/stream', {
      responseType: 'stream',
      signal: caller.signal,
    });
    const ended = new Promise((resolve) => response.data.once('close', resolve));
    response.data.on('error', () => undefined);

    caller.abort();

    await ended;
    await until(dropped('/stream'), 2_000, 'the connection dropped');
  });

  it('leaves no listener on the shutdown signal once the calls have ended', async () => {
    const http = await boot();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => http.axiosRef.get('/quick')),
    );
    // Every call without a signal of its own is sent with the one shutdown signal.
    const signal = responses[0]!.config.signal as ShutdownSignal;
    expect(responses.every((response) => response.config.signal === signal)).toBe(true);
    expect(signal.listenerCount).toBe(0);
  });
});
