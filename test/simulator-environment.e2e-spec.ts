import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { EnkashAuthModule, EnkashAuthService, enkashConfig } from '../lib/index.js';
import {
  enkashEnvironmentVariables,
  readEnkashOptionsFromEnvironment,
} from '../lib/enkash-auth.config.js';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator, EnkashSimulatorOptions } from '../lib/testing/index.js';

// simulator.environment() writes the library's variable-naming rule again (lib/testing/ shares no code with the
// client): these tests read its variables back with the library's own reader, so that the two cannot drift apart.

const NAMES = [undefined, 'default', 'cards', 'business-unit-2'] as const;

let simulator: EnkashSimulator | undefined;
let app: TestingModule | undefined;
const savedEnvironment = { ...process.env };

afterEach(async () => {
  await app?.close();
  app = undefined;
  await simulator?.close();
  simulator = undefined;
  process.env = { ...savedEnvironment };
});

async function start(options?: EnkashSimulatorOptions): Promise<EnkashSimulator> {
  simulator = await startEnkashSimulator(options);
  return simulator;
}

/** The options the library reads from the simulator's variables of registration `name`. */
function optionsFromEnvironment(s: EnkashSimulator, name: string | undefined) {
  return readEnkashOptionsFromEnvironment(s.environment(name), name);
}

describe('simulator.environment()', () => {
  it('gives the unnamed registration its five ENKASH_* variables, pointing at the simulator', async () => {
    const s = await start();
    expect(s.environment()).toEqual({
      ENKASH_BASE_URL: s.url,
      ENKASH_CLIENT_ID: 'sim-client-id',
      ENKASH_CLIENT_SECRET: 'sim-client-secret',
      ENKASH_USERNAME: 'sim-user@example.com',
      ENKASH_PASSWORD: 'sim-p@ss+w0rd=50%',
    });
    expect(s.environment('default')).toEqual(s.environment());
  });

  it("gives a named registration the variables of its name: 'cards' reads ENKASH_CARDS_*", async () => {
    const s = await start();
    expect(Object.keys(s.environment('cards'))).toEqual([
      'ENKASH_CARDS_BASE_URL',
      'ENKASH_CARDS_CLIENT_ID',
      'ENKASH_CARDS_CLIENT_SECRET',
      'ENKASH_CARDS_USERNAME',
      'ENKASH_CARDS_PASSWORD',
    ]);
    expect(s.environment('business-unit-2')['ENKASH_BUSINESS_UNIT_2_BASE_URL']).toBe(s.url);
  });

  it('adds ENKASH_TOKEN_PATH only when the token path is not the library default', async () => {
    expect(Object.keys((await start()).environment())).not.toContain('ENKASH_TOKEN_PATH');
    await simulator?.close();
    const s = await start({ tokenPath: '/api/v1/oauth/token' });
    expect(s.environment()['ENKASH_TOKEN_PATH']).toBe('/api/v1/oauth/token');
  });

  it('is a frozen snapshot that follows setCredentials()', async () => {
    const s = await start();
    const before = s.environment();
    expect(Object.isFrozen(before)).toBe(true);
    s.setCredentials({ password: 'another' });
    expect(s.environment()['ENKASH_PASSWORD']).toBe('another');
    expect(before['ENKASH_PASSWORD']).toBe('sim-p@ss+w0rd=50%');
  });

  it.each(['Cards', 'my_cards', 'cards-', '-cards', 'a--b', ''])(
    'refuses the name %j, which the library refuses too',
    async (name) => {
      const s = await start();
      expect(() => s.environment(name)).toThrow(RangeError);
      expect(() =>
        EnkashAuthModule.forRoot({ name, ...optionsFromEnvironment(s, undefined) }),
      ).toThrow(/name/);
    },
  );

  describe('read back by the library', () => {
    it.each(
      NAMES.flatMap((name) =>
        ['/oauth/token', '/api/v1/oauth/token'].map((tokenPath) => ({ name, tokenPath })),
      ),
    )('names only variables of the library and means the simulator: %o', async (given) => {
      const s = await start({ tokenPath: given.tokenPath });
      const environment = s.environment(given.name);
      const known = Object.values(enkashEnvironmentVariables(given.name));
      expect(Object.keys(environment).filter((key) => !known.includes(key))).toEqual([]);

      expect(readEnkashOptionsFromEnvironment(environment, given.name)).toMatchObject({
        baseUrl: s.url,
        clientId: s.options.clientId,
        clientSecret: s.options.clientSecret,
        username: s.options.username,
        password: s.options.password,
        tokenPath: s.options.tokenPath,
      });
      expect(() =>
        EnkashAuthModule.forRoot({ name: given.name, ...optionsFromEnvironment(s, given.name) }),
      ).not.toThrow();
    });

    it('lets an app booted from process.env with enkashConfig get a token from the simulator', async () => {
      const s = await start();
      Object.assign(process.env, s.environment(), { ENKASH_ACQUIRE_ON_STARTUP: 'false' });
      app = await Test.createTestingModule({
        imports: [
          ConfigModule.forRoot({ ignoreEnvFile: true }),
          EnkashAuthModule.forRootAsync(enkashConfig.asProvider()),
        ],
      }).compile();
      app.useLogger(false);
      await app.init();

      expect(await app.get(EnkashAuthService).getAccessToken()).toBe(s.currentAccessToken);
      expect(s.stats.passwordGrants).toBe(1);
    });
  });
});
