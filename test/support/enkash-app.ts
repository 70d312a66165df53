import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import type { ModuleMetadata } from '@nestjs/common';
import { EnkashAuthModule, EnkashAuthService } from '../../lib/index.js';
import type { EnkashAuthOptions } from '../../lib/index.js';
import type { EnkashSimulator } from '../../lib/testing/index.js';
import { credentialsOfSimulator } from './secret-watch.js';

/** Options that point the module at a simulator, with the simulator's credentials. */
export function optionsFor(
  simulator: EnkashSimulator,
  overrides: Partial<EnkashAuthOptions> = {},
): EnkashAuthOptions {
  return {
    baseUrl: simulator.url,
    clientId: simulator.options.clientId,
    clientSecret: simulator.options.clientSecret,
    username: simulator.options.username,
    password: simulator.options.password,
    acquireOnStartup: false,
    ...overrides,
  };
}

/** The `ENKASH_*` variables that point the library at a simulator, with no token fetched at boot. */
export function environmentFor(simulator: EnkashSimulator): Record<string, string> {
  const options = optionsFor(simulator);
  return {
    ENKASH_BASE_URL: simulator.url,
    ENKASH_CLIENT_ID: options.clientId,
    ENKASH_CLIENT_SECRET: options.clientSecret,
    ENKASH_USERNAME: options.username,
    ENKASH_PASSWORD: options.password,
    ENKASH_ACQUIRE_ON_STARTUP: 'false',
  };
}

/** Boots a Nest application context with `EnkashAuthModule.forRoot(options)`; the caller closes it. */
export async function bootWith(
  options: EnkashAuthOptions,
  extraImports: ModuleMetadata['imports'] = [],
): Promise<{ app: TestingModule; auth: EnkashAuthService }> {
  const app = await Test.createTestingModule({
    imports: [...extraImports, EnkashAuthModule.forRoot(options)],
  }).compile();
  app.useLogger(false);
  await app.init();
  return { app, auth: app.get(EnkashAuthService) };
}

/** The credentials a test must never find in a log line, an error or an answer, as plain values. */
export function secretsOf(simulator: EnkashSimulator): string[] {
  return credentialsOfSimulator(simulator).map((secret) => secret.value);
}

export { sleep } from './waiting.js';
