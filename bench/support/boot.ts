// An application context with EnkashAuthModule pointed at a (remote) simulator, as an application would boot it.
import 'reflect-metadata';
import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EnkashAuthModule } from '../../lib/index.js';
import type { EnkashAuthOptions } from '../../lib/index.js';
import { RemoteSimulator } from './remote-simulator.js';

/** `EnkashAuthModule.forRoot(options)` in an application context of its own; initialised. */
export async function bootWith(
  options: EnkashAuthOptions,
  logger: LoggerService | false = false,
): Promise<INestApplicationContext> {
  class BenchModule {}
  return NestFactory.createApplicationContext(
    { module: BenchModule, imports: [EnkashAuthModule.forRoot(options)] },
    { logger },
  );
}

/** `EnkashAuthModule.forRoot()` with the simulator's URL and credentials plus `overrides`; initialised. */
export async function bootAgainst(
  simulator: RemoteSimulator,
  overrides: Partial<EnkashAuthOptions> = {},
  logger: LoggerService | false = false,
): Promise<INestApplicationContext> {
  return bootWith({ baseUrl: simulator.url, ...simulator.credentials, ...overrides }, logger);
}

/**
 * Runs `measure` with a simulator process of its own and an application booted against it (with `overrides`), and
 * closes both afterwards, whatever happens.
 */
export async function withBootedApp<T>(
  measure: (app: INestApplicationContext, simulator: RemoteSimulator) => Promise<T>,
  overrides: Partial<EnkashAuthOptions> = {},
): Promise<T> {
  const simulator = await RemoteSimulator.start();
  try {
    const app = await bootAgainst(simulator, overrides);
    try {
      return await measure(app, simulator);
    } finally {
      await app.close();
    }
  } finally {
    await simulator.close();
  }
}
