#!/usr/bin/env node
// `enkash-simulator`: the EnKash simulator as a command, for trying an app against it by hand or from a script.
// stdout carries only the ENKASH_* lines, so that `enkash-simulator > .env.simulator` captures exactly them;
// whatever is meant for a person goes to stderr. Exit codes: 0 stopped by a signal or --help, 1 could not start (or
// stop), 2 bad command line or environment.
import { startEnkashSimulator } from './enkash-simulator.js';
import {
  parseSimulatorCliArguments,
  SIMULATOR_CLI_USAGE,
  SimulatorCliUsageError,
  type SimulatorCliSettings,
} from './simulator-cli-options.js';
import { dotenvText } from './simulator-dotenv.js';
import type { EnkashSimulator } from './simulator.interfaces.js';

const COMMAND = 'enkash-simulator';

/** How long closing may take before the process exits anyway: closing destroys every socket, so it never should. */
const CLOSE_FALLBACK_MS = 3_000;

/** One line for a person, on stderr. */
function say(message: string): void {
  process.stderr.write(`${COMMAND}: ${message}\n`);
}

/** Why listening failed, in words, with what to do about it. */
function listenFailure(error: unknown, port: number): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE') {
    return `port ${port} on 127.0.0.1 is in use: choose another with --port (or ENKASH_SIMULATOR_PORT), 0 for a free one`;
  }
  if (code === 'EACCES') {
    return `port ${port} on 127.0.0.1 needs privileges this process lacks: choose one above 1023 with --port`;
  }
  return `could not listen on 127.0.0.1:${port}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Closes the simulator on the first SIGINT or SIGTERM; the process then exits by itself, nothing being left open. */
function closeOnSignal(simulator: EnkashSimulator): void {
  const stop = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    say(`${signal}: stopping`);
    // Unref'd: it only acts if something unexpected still holds the process open after the close, a failure.
    setTimeout(() => {
      say(`still running ${CLOSE_FALLBACK_MS} ms after ${signal}: exiting anyway`);
      process.exit(1);
    }, CLOSE_FALLBACK_MS).unref();
    simulator.close().then(
      () => say('stopped'),
      (error: unknown) => {
        process.exitCode = 1;
        say(`closing failed: ${String(error)}`);
      },
    );
  };
  process.on('SIGINT', stop).on('SIGTERM', stop);
}

async function run(settings: SimulatorCliSettings): Promise<void> {
  let simulator: EnkashSimulator;
  try {
    simulator = await startEnkashSimulator({ ...settings.simulator, port: settings.port });
  } catch (error) {
    process.exitCode = 1;
    say(listenFailure(error, settings.port));
    return;
  }
  closeOnSignal(simulator);
  process.stdout.write(dotenvText(simulator.environment(settings.registrationName)));
  say(`listening on ${simulator.url} (token endpoint ${simulator.options.tokenPath})`);
  say('the ENKASH_* lines for your app are on stdout. Ctrl-C stops it.');
}

function main(): void {
  let command;
  try {
    command = parseSimulatorCliArguments(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof SimulatorCliUsageError)) throw error;
    process.exitCode = 2;
    say(error.message);
    return;
  }
  if (command.help) {
    process.stdout.write(SIMULATOR_CLI_USAGE);
    return;
  }
  run(command.settings).catch((error: unknown) => {
    process.exitCode = 1;
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  });
}

main();
