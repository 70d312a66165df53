// DEMO ONLY. Lets `npm start` work with no EnKash account: when ENKASH_BASE_URL is not set, the bundled EnKash
// simulator is started in this process and the ENKASH_* variables are pointed at it. A real application never does
// this: it gets ENKASH_* from its environment and lets enkashConfig fail the boot when they are missing.
import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown, Type } from '@nestjs/common';
import { startEnkashSimulator } from '../lib/testing/index.js';
import type { EnkashSimulator } from '../lib/testing/index.js';

const DEMO_SIMULATOR = Symbol('DEMO_SIMULATOR');

/** A fund source id in EnKash's format; the simulator accepts any. */
const DEMO_FUND_SOURCE_ID = 'EKDEMO0001';

/** Closes the simulator with the application: on `app.close()`, Ctrl-C and SIGTERM. */
@Injectable()
class DemoSimulatorCloser implements OnApplicationShutdown {
  constructor(@Inject(DEMO_SIMULATOR) private readonly simulator: EnkashSimulator) {}

  async onApplicationShutdown(): Promise<void> {
    await this.simulator.close();
    new Logger('Demo').log('Bundled EnKash simulator closed');
  }
}

@Module({})
class DemoEnkashModule {}

/**
 * `appModule` as is when ENKASH_BASE_URL is set (in the environment or in `.env`, which must have been loaded).
 * Otherwise starts the EnKash simulator, sets the ENKASH_* variables to it and its demo credentials, and returns a
 * module that wraps `appModule` and closes the simulator when the application closes.
 */
export async function withDemoEnkashUnlessConfigured(
  appModule: Type,
): Promise<Type | DynamicModule> {
  if (process.env.ENKASH_BASE_URL?.trim()) return appModule;

  const simulator = await startEnkashSimulator();
  Object.assign(process.env, simulator.environment());
  process.env.ENKASH_FUND_SOURCE_ID ||= DEMO_FUND_SOURCE_ID;

  const logger = new Logger('Demo');
  logger.warn(
    `ENKASH_BASE_URL is not set: using the bundled EnKash simulator at ${simulator.url} with demo credentials.`,
  );
  logger.warn(
    'To talk to a real EnKash, set ENKASH_BASE_URL and the other ENKASH_* variables (see .env.example).',
  );

  return {
    module: DemoEnkashModule,
    imports: [appModule],
    providers: [{ provide: DEMO_SIMULATOR, useValue: simulator }, DemoSimulatorCloser],
  };
}
