import { afterEach, describe, expect, it } from '@jest/globals';
import { decryptEnkashPayload, encryptEnkashPayload } from '../lib/crypto/enkash-payload-cipher.js';
import {
  startEnkashSimulator,
  type EnkashSimulator,
  type EnkashSimulatorOptions,
} from '../lib/testing/index.js';
import { readAnswer } from './support/wire-answer.js';
import type { WireAnswer } from './support/wire-answer.js';

// The simulator decrypts with its own code (lib/testing shares none with the client), and these tests encrypt and
// decrypt with the library's cipher: the two implementations check each other over real HTTP.

interface CallInit {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Default: the simulator's current access token (obtained once); `null`: no Authorization header. */
  token?: string | null;
}

const PAYOUT = {
  beneficiaryName: 'José Müller',
  accountNumber: '000123456789',
  ifsc: 'HDFC0001234',
  amount: '₹1,500.50',
};
const INVALID_ENCRYPTED = { response_code: 422, response_message: 'Invalid encrypted request' };

let sim: EnkashSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options?: EnkashSimulatorOptions): Promise<EnkashSimulator> {
  sim = await startEnkashSimulator(options);
  return sim;
}

async function accessToken(s: EnkashSimulator): Promise<string> {
  if (s.currentAccessToken !== undefined) return s.currentAccessToken;
  const { clientId, clientSecret, username, password, tokenPath } = s.options;
  const response = await fetch(`${s.url}${tokenPath}`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ username, password, grant_type: 'password', clientId }).toString(),
  });
  const answer = await readAnswer(response);
  const token = answer.json?.['access_token'];
  if (typeof token !== 'string') throw new Error(`no access token: ${answer.text}`);
  return token;
}

async function call(s: EnkashSimulator, path: string, init: CallInit = {}): Promise<WireAnswer> {
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? await accessToken(s) : init.token;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return readAnswer(
    await fetch(`${s.url}${path}`, { method: init.method ?? 'GET', headers, body }),
  );
}

/** Sends `payload` encrypted with `secret` (default: the simulator's), as EnKash wants it. */
function callEncrypted(
  s: EnkashSimulator,
  path: string,
  payload: unknown,
  init: CallInit & { secret?: string } = {},
): Promise<WireAnswer> {
  const request = encryptEnkashPayload(payload, init.secret ?? s.options.clientSecret);
  return call(s, path, { method: 'POST', ...init, body: { request } });
}

/** The answer's `{"request": "<ciphertext>"}`, decrypted with the simulator's client secret. */
function decrypted(s: EnkashSimulator, answer: WireAnswer): unknown {
  expect(Object.keys(answer.json ?? {})).toEqual(['request']);
  return decryptEnkashPayload(String(answer.json?.['request']), s.options.clientSecret);
}

describe('EnKash simulator: encrypted payloads', () => {
  it('decrypts an encrypted request, logs it, and answers with the envelope encrypted', async () => {
    const s = await start({ clientSecret: 'sécret-₹-ключ' });
    const answer = await callEncrypted(s, '/api/v1/payouts?mode=IMPS', PAYOUT, {
      headers: { 'X-Trace': 'trace-1' },
    });
    expect(answer.status).toBe(200);
    expect(answer.text).not.toContain('000123456789');
    expect(decrypted(s, answer)).toEqual({
      response_code: 0,
      response_message: 'Success',
      payload: { method: 'POST', path: '/api/v1/payouts', query: { mode: 'IMPS' }, body: PAYOUT },
    });
    expect(s.resourceCalls).toHaveLength(1);
    const logged = s.resourceCalls[0];
    expect(logged).toMatchObject({ method: 'POST', path: '/api/v1/payouts', encrypted: true });
    expect(logged.body).toEqual(PAYOUT);
    expect(logged.headers['x-trace']).toBe('trace-1');
    expect(logged.headers['content-type']).toBe('application/json');
    expect(logged.headers.authorization).toBe(logged.authorization);
  });

  it('logs a plain body as it is, and an empty one as null', async () => {
    const s = await start();
    const plain = await call(s, '/api/v1/wallets', { method: 'POST', body: { amount: 1 } });
    expect(plain.json).toMatchObject({ response_code: 0, payload: { body: { amount: 1 } } });
    await call(s, '/api/v1/wallets');
    expect(s.resourceCalls.map(({ encrypted, body }) => ({ encrypted, body }))).toEqual([
      { encrypted: false, body: { amount: 1 } },
      { encrypted: false, body: null },
    ]);
  });

  it('treats a body with more than the request field as plain JSON', async () => {
    const s = await start();
    const body = { request: 'not-a-ciphertext', page: 2 };
    const answer = await call(s, '/api/v1/wallets', { method: 'POST', body });
    expect(answer.json).toMatchObject({ response_code: 0, payload: { body } });
    expect(s.resourceCalls[0]).toMatchObject({ encrypted: false, body });
  });

  it.each([
    ['encrypted with another secret', encryptEnkashPayload(PAYOUT, 'another-secret')],
    ['not base64', 'this is not base64!'],
    ['empty', ''],
  ])('answers a request %s with the 422 envelope in plain JSON', async (_name, ciphertext) => {
    const s = await start();
    const answer = await call(s, '/api/v1/payouts', {
      method: 'POST',
      body: { request: ciphertext },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual(INVALID_ENCRYPTED);
    expect(s.resourceCalls[0]).toMatchObject({ encrypted: true, body: null });
  });

  it('decrypts with the client secret set by setCredentials()', async () => {
    const s = await start();
    const old = s.options.clientSecret;
    await accessToken(s);
    s.setCredentials({ clientSecret: 'rotated-secret' });
    expect((await callEncrypted(s, '/api/v1/payouts', PAYOUT, { secret: old })).json).toEqual(
      INVALID_ENCRYPTED,
    );
    const answer = await callEncrypted(s, '/api/v1/payouts', PAYOUT);
    expect(decrypted(s, answer)).toMatchObject({ response_code: 0, payload: { body: PAYOUT } });
  });
});

describe('EnKash simulator: requireEncryptedPayloads', () => {
  it.each(['POST', 'PUT', 'PATCH'])(
    'refuses a plain %s body with the 422 envelope',
    async (method) => {
      const s = await start({ requireEncryptedPayloads: true });
      const answer = await call(s, '/api/v1/payouts', { method, body: PAYOUT });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual(INVALID_ENCRYPTED);
      expect(s.resourceCalls[0]).toMatchObject({ method, encrypted: false, body: PAYOUT });
    },
  );

  it('accepts encrypted bodies, calls without a body, and reads', async () => {
    const s = await start({ requireEncryptedPayloads: true });
    const encrypted = await callEncrypted(s, '/api/v1/payouts', PAYOUT);
    expect(decrypted(s, encrypted)).toMatchObject({ response_code: 0 });
    expect((await call(s, '/api/v1/payouts/42/cancel', { method: 'POST' })).json).toMatchObject({
      response_code: 0,
    });
    expect((await call(s, '/api/v1/wallets')).json).toMatchObject({ response_code: 0 });
    expect((await call(s, '/api/v1/cards/1', { method: 'DELETE' })).json).toMatchObject({
      response_code: 0,
    });
  });

  it('is switched on and off by setRequireEncryptedPayloads()', async () => {
    const s = await start();
    s.setRequireEncryptedPayloads(true);
    expect(s.options.requireEncryptedPayloads).toBe(true);
    const init = { method: 'POST', body: PAYOUT };
    expect((await call(s, '/api/v1/payouts', init)).json).toEqual(INVALID_ENCRYPTED);
    s.setRequireEncryptedPayloads(false);
    expect((await call(s, '/api/v1/payouts', init)).json).toMatchObject({ response_code: 0 });
    expect(() => s.setRequireEncryptedPayloads('yes' as unknown as boolean)).toThrow(
      /requireEncryptedPayloads must be true or false/,
    );
  });

  it('checks the access token first', async () => {
    const s = await start({ requireEncryptedPayloads: true });
    const answer = await call(s, '/api/v1/payouts', { method: 'POST', body: PAYOUT, token: null });
    expect(answer.status).toBe(401);
  });
});

describe('EnKash simulator: requiredHeaders', () => {
  const options = { requiredHeaders: { partnerId: 'P123', 'X-Product': 'cards' } };

  it('answers the 403 envelope naming the first header that is missing', async () => {
    const s = await start(options);
    const answer = await call(s, '/api/v0/cards', { headers: { 'X-Product': 'cards' } });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      response_code: 403,
      response_message: 'partnerId header is missing or invalid',
    });
    const other = await call(s, '/api/v0/cards', { headers: { partnerId: 'P123' } });
    expect(other.json?.['response_message']).toBe('X-Product header is missing or invalid');
  });

  it('refuses another value without echoing either value', async () => {
    const s = await start(options);
    const answer = await call(s, '/api/v0/cards', {
      headers: { partnerId: 'P999', 'X-Product': 'cards' },
    });
    expect(answer.json).toMatchObject({ response_code: 403 });
    expect(answer.text).not.toContain('P999');
    expect(answer.text).not.toContain('P123');
  });

  it('accepts the headers whatever the case of their names, encrypted calls included', async () => {
    const s = await start(options);
    const headers = { PARTNERID: 'P123', 'x-product': 'cards' };
    expect((await call(s, '/api/v0/cards', { headers })).json).toMatchObject({ response_code: 0 });
    const encrypted = await callEncrypted(s, '/api/v0/cards', { cardId: 1 }, { headers });
    expect(decrypted(s, encrypted)).toMatchObject({ response_code: 0 });
    expect(s.resourceCalls[0].headers['partnerid']).toBe('P123');
  });

  it('answers in plain JSON to an encrypted call, and checks the access token first', async () => {
    const s = await start(options);
    const encrypted = await callEncrypted(s, '/api/v0/cards', { cardId: 1 });
    expect(encrypted.json).toMatchObject({ response_code: 403 });
    expect((await call(s, '/api/v0/cards', { token: null })).status).toBe(401);
  });
});

describe('EnKash simulator: envelopeCasing', () => {
  it('answers in camel case when asked to, plain and encrypted, successes and refusals', async () => {
    const s = await start({ envelopeCasing: 'camel', requiredHeaders: { partnerId: 'P123' } });
    const headers = { partnerId: 'P123' };
    const plain = await call(s, '/api/v1/wallets', { headers });
    expect(Object.keys(plain.json ?? {})).toEqual(['responseCode', 'responseMessage', 'payload']);
    expect(plain.json).toMatchObject({ responseCode: 0, responseMessage: 'Success' });
    const encrypted = await callEncrypted(s, '/api/v1/payouts', PAYOUT, { headers });
    expect(decrypted(s, encrypted)).toMatchObject({ responseCode: 0, payload: { body: PAYOUT } });
    const refused = await call(s, '/api/v1/wallets');
    expect(refused.json).toEqual({
      responseCode: 403,
      responseMessage: 'partnerId header is missing or invalid',
    });
    const undecryptable = await call(s, '/api/v1/payouts', {
      method: 'POST',
      headers,
      body: { request: 'bad' },
    });
    expect(undecryptable.json).toEqual({
      responseCode: 422,
      responseMessage: 'Invalid encrypted request',
    });
  });
});

describe('EnKash simulator: envelope faults', () => {
  const duplicate = { kind: 'envelope', responseCode: 409, responseMessage: 'Duplicate' } as const;

  it('answers HTTP 200 with the envelope, payload included when given', async () => {
    const s = await start();
    s.injectResourceFault({ ...duplicate, payload: { referenceId: 'R1' } });
    s.injectResourceFault({ kind: 'envelope', responseCode: 1, responseMessage: 'Failure' });
    const first = await call(s, '/api/v1/payouts', { method: 'POST', body: PAYOUT });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      response_code: 409,
      response_message: 'Duplicate',
      payload: { referenceId: 'R1' },
    });
    const second = await call(s, '/api/v1/payouts', { method: 'POST', body: PAYOUT });
    expect(second.json).toEqual({ response_code: 1, response_message: 'Failure' });
    expect((await call(s, '/api/v1/payouts')).json).toMatchObject({ response_code: 0 });
    expect(s.stats.resourceRequests).toBe(3);
  });

  it('honours times and path', async () => {
    const s = await start();
    s.injectResourceFault(duplicate, { times: 2, path: '/api/v1/payouts' });
    expect((await call(s, '/api/v1/wallets')).json).toMatchObject({ response_code: 0 });
    expect((await call(s, '/api/v1/payouts')).json).toMatchObject({ response_code: 409 });
    expect((await call(s, '/api/v1/payouts?page=2')).json).toMatchObject({ response_code: 409 });
    expect((await call(s, '/api/v1/payouts')).json).toMatchObject({ response_code: 0 });
  });

  it('answers encrypted to an encrypted request, in the configured casing', async () => {
    const s = await start({ envelopeCasing: 'camel' });
    s.injectResourceFault({ kind: 'envelope', responseCode: 412, responseMessage: 'Low balance' });
    const answer = await callEncrypted(s, '/api/v1/payouts', PAYOUT);
    expect(decrypted(s, answer)).toEqual({ responseCode: 412, responseMessage: 'Low balance' });
  });

  it('answers before the access token is checked, like every resource fault', async () => {
    const s = await start();
    s.injectResourceFault(duplicate);
    expect((await call(s, '/api/v1/payouts', { token: null })).json).toMatchObject({
      response_code: 409,
    });
  });

  it('rejects a nonsense envelope fault', async () => {
    const s = await start();
    expect(() => s.injectResourceFault({ ...duplicate, responseCode: 1.5 })).toThrow(
      /responseCode must be an integer/,
    );
    const noMessage = { ...duplicate, responseMessage: undefined as unknown as string };
    expect(() => s.injectResourceFault(noMessage)).toThrow(/responseMessage must be a string/);
    expect(() => s.injectResourceFault({ kind: 'toString' } as never)).toThrow(
      "'toString' is not a resource fault",
    );
  });
});

describe('EnKash simulator: envelope options', () => {
  it('has defaults that change nothing', async () => {
    const s = await start();
    expect(s.options).toMatchObject({
      requireEncryptedPayloads: false,
      requiredHeaders: {},
      envelopeCasing: 'snake',
    });
  });

  it('keeps its own copy of requiredHeaders', async () => {
    const requiredHeaders: Record<string, string> = { partnerId: 'P123' };
    const s = await start({ requiredHeaders });
    requiredHeaders['partnerId'] = 'changed';
    expect(s.options.requiredHeaders).toEqual({ partnerId: 'P123' });
  });

  it.each([
    [
      { requireEncryptedPayloads: 'yes' },
      TypeError,
      'requireEncryptedPayloads must be true or false',
    ],
    [{ requiredHeaders: 'partnerId' }, TypeError, 'requiredHeaders must be an object'],
    [{ requiredHeaders: { 'partner id': 'P123' } }, RangeError, 'is not a valid header name'],
    [{ requiredHeaders: { partnerId: 'P1', PartnerID: 'P2' } }, RangeError, 'given twice'],
    [
      { requiredHeaders: { partnerId: 123 } },
      TypeError,
      'requiredHeaders: partnerId must be a string',
    ],
    [{ envelopeCasing: 'kebab' }, RangeError, "envelopeCasing must be 'snake' or 'camel'"],
  ])('rejects %j', async (options, type, message) => {
    const started = startEnkashSimulator(options as unknown as EnkashSimulatorOptions);
    await expect(started).rejects.toThrow(type);
    await expect(started).rejects.toThrow(message);
  });

  it('never quotes a required header value in an option error', async () => {
    const started = startEnkashSimulator({
      requiredHeaders: { partnerId: 'P1', PARTNERID: 'secret-value' },
    });
    await expect(started).rejects.toThrow(RangeError);
    await started.catch((error: unknown) => {
      expect(String(error)).not.toContain('secret-value');
    });
  });
});
