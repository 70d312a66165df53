// An application context with EnkashAuthModule pointed at a (remote) simulator, as an application would boot it.
import 'reflect-metadata';
import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EnkashAuthModule } from '../../lib/index.js';
import type { EnkashAuthOptions } from '../../lib/index.js';
import type { RemoteSimulator } from './remote-simulator.js';

/** `EnkashAuthModule.forRoot()` with the simulator's URL and credentials plus `overrides`; initialised. */
export async function bootAgainst(
  simulator: RemoteSimulator,
  overrides: Partial<EnkashAuthOptions> = {},
  logger: LoggerService | false = false,
): Promise<INestApplicationContext> {
  class BenchModule {}
  return NestFactory.createApplicationContext(
    {
      module: BenchModule,
      imports: [
        EnkashAuthModule.forRoot({
          baseUrl: simulator.url,
          ...simulator.credentials,
          ...overrides,
        }),
      ],
    },
    { logger },
  );
}
