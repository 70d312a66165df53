// Boots an application context with EnkashAuthModule pointed at a running simulator, for the measure scripts.
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { EnkashAuthModule } from '../dist/index.js';

/** `EnkashAuthModule.forRoot()` with the simulator's URL and credentials, plus `overrides`; logs off, initialised. */
export async function bootAgainstSimulator(simulator, overrides = {}) {
  const { clientId, clientSecret, username, password } = simulator.options;
  const app = await Test.createTestingModule({
    imports: [
      EnkashAuthModule.forRoot({
        baseUrl: simulator.url,
        clientId,
        clientSecret,
        username,
        password,
        ...overrides,
      }),
    ],
  }).compile();
  app.useLogger(false);
  await app.init();
  return app;
}
