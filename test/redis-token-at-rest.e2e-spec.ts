// The token at rest in a real redis-server: sealed with AES-256-GCM under a key each replica derives from the client
// secret, so that whoever reads that Redis (often shared by many applications) finds no token to call EnKash with;
// and what the store does with a value it cannot open.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import {
  createRedisTokenStore,
  type RedisTokenStore,
  type RedisTokenStoreOptions,
} from '../lib/store/redis-token-store.js';
import { tokenStoreKey } from '../lib/store/token-store-key.js';
import { startEnkashSimulator, type EnkashSimulator } from '../lib/testing/index.js';
import { bootWith, optionsFor, secretsOf } from './support/enkash-app.js';
import { recordingLogger, type RecordingLogger } from './support/recording-logger.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const SECRET = 'at-rest-client-s3cret';
const TOKEN = { accessToken: 'access-at-rest-1', refreshToken: 'refresh-at-rest-1' };

let server: RedisServer;
const stores: RedisTokenStore[] = [];
const apps: TestingModule[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await server?.close();
});

async function openStore(
  options: Partial<RedisTokenStoreOptions> = {},
): Promise<{ store: RedisTokenStore; logger: RecordingLogger }> {
  const logger = recordingLogger();
  const store = await createRedisTokenStore({
    url: server.url,
    clientSecret: SECRET,
    logger,
    ...options,
  });
  stores.push(store);
  return { store, logger };
}

function tokenKey(key: string): string {
  return `enkash-auth:token:{${key}}`;
}

async function rawValue(key: string): Promise<string | null> {
  return (await server.command('GET', tokenKey(key))) as string | null;
}

/** What the logger was told, every argument of every call, as one text. */
function logged(logger: RecordingLogger): string {
  return JSON.stringify(logger.warn.mock.calls);
}

describe('the token at rest in Redis', () => {
  let simulator: EnkashSimulator;

  beforeAll(async () => {
    simulator = await startEnkashSimulator({ tokenLifetimeSeconds: 60 });
  });

  afterAll(async () => {
    await simulator?.close();
  });

  it('is sealed by the module: the raw key holds neither the access token nor the refresh token, and another replica opens it', async () => {
    const options = optionsFor(simulator, { redis: { url: server.url } });
    const first = await bootWith(options);
    apps.push(first.app);
    await first.auth.getAccessToken();
    // A refresh grant too, so that Redis has held a token of each grant.
    await first.auth.refresh();
    const key = tokenStoreKey({
      baseUrl: simulator.url,
      tokenPath: simulator.options.tokenPath,
      clientId: simulator.options.clientId,
      username: simulator.options.username,
    });
    expect(await rawValue(key)).toMatch(/^v1:[\w-]{11}:[\w-]+$/);

    const stored = JSON.stringify(await server.dump());
    expect(simulator.issuedTokens.length).toBeGreaterThanOrEqual(3);
    for (const secret of [...simulator.issuedTokens, ...secretsOf(simulator)]) {
      expect(stored).not.toContain(secret);
    }

    // A second replica derives the key on its own and adopts the token: no login of its own.
    const passwordGrants = simulator.stats.passwordGrants;
    const second = await bootWith(options);
    apps.push(second.app);
    await expect(second.auth.getAccessToken()).resolves.toBe(simulator.currentAccessToken);
    expect(simulator.stats.passwordGrants).toBe(passwordGrants);
  });
});

describe('a value the store cannot open', () => {
  it('in clear text, as a version before encryption stored it: ignored, reported once without its content, written over', async () => {
    const { store, logger } = await openStore();
    const key = randomUUID();
    await server.command('SET', tokenKey(key), JSON.stringify(TOKEN), 'PX', 600_000);

    await expect(store.get(key)).resolves.toBeUndefined();
    await expect(store.get(key)).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logged(logger)).toContain('it is not encrypted');
    expect(logged(logger)).toContain(tokenKey(key));

    // Written over although it lives longer: it counts as no token.
    const fresh = { accessToken: 'fresh-access', expiresAt: Date.now() + 60_000 };
    await expect(store.set(key, fresh)).resolves.toBe(true);
    await expect(store.get(key)).resolves.toMatchObject({ accessToken: 'fresh-access' });
    for (const secret of [TOKEN.accessToken, TOKEN.refreshToken, 'fresh-access', SECRET]) {
      expect(logged(logger)).not.toContain(secret);
    }
  });

  it('sealed under another client secret (a rotation, or replicas that disagree): ignored, reported, written over', async () => {
    const { store: before } = await openStore({ clientSecret: 'the-secret-before' });
    const { store: after, logger } = await openStore();
    const key = randomUUID();
    await before.set(key, { ...TOKEN, expiresAt: Date.now() + 600_000 });

    await expect(after.get(key)).resolves.toBeUndefined();
    expect(logged(logger)).toContain('encrypted under another key');
    await expect(
      after.set(key, { accessToken: 'after', expiresAt: Date.now() + 60_000 }),
    ).resolves.toBe(true);
    await expect(after.get(key)).resolves.toMatchObject({ accessToken: 'after' });
    // And the other way round: neither reads the other's token.
    await expect(before.get(key)).resolves.toBeUndefined();
    for (const secret of [TOKEN.accessToken, TOKEN.refreshToken, 'after']) {
      expect(logged(logger)).not.toContain(secret);
    }
  });

  it("of another account copied under this account's key: ignored, never adopted", async () => {
    const { store, logger } = await openStore();
    const ours = randomUUID();
    const theirs = randomUUID();
    await store.set(theirs, { ...TOKEN, expiresAt: Date.now() + 600_000 });
    await server.command('SET', tokenKey(ours), (await rawValue(theirs)) ?? '', 'PX', 600_000);

    await expect(store.get(ours)).resolves.toBeUndefined();
    expect(logged(logger)).toContain('encrypted under another key');
    await expect(store.get(theirs)).resolves.toMatchObject({ accessToken: TOKEN.accessToken });
  });

  it('altered: ignored and reported until a token that lives longer replaces it', async () => {
    const { store, logger } = await openStore();
    const key = randomUUID();
    await store.set(key, { ...TOKEN, expiresAt: Date.now() + 120_000 });
    const sealed = (await rawValue(key)) ?? '';
    // One character of the ciphertext changed, the format and key id kept.
    const at = sealed.length - 10;
    const altered = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    await server.command('SET', tokenKey(key), altered, 'PX', 120_000);

    await expect(store.get(key)).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logged(logger)).toContain('it fails authentication');
    // Its key id is ours: a shorter-lived token does not replace it, a longer-lived one does.
    await expect(
      store.set(key, { accessToken: 'shorter-access', expiresAt: Date.now() + 60_000 }),
    ).resolves.toBe(false);
    await expect(
      store.set(key, { accessToken: 'longer-access', expiresAt: Date.now() + 180_000 }),
    ).resolves.toBe(true);
    await expect(store.get(key)).resolves.toMatchObject({ accessToken: 'longer-access' });
    // Readable again, so a later unreadable value is reported again.
    await server.command('SET', tokenKey(key), altered, 'PX', 120_000);
    await store.get(key);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    for (const secret of [TOKEN.accessToken, TOKEN.refreshToken, 'longer-access', SECRET]) {
      expect(logged(logger)).not.toContain(secret);
    }
  });
});
