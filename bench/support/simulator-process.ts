/**
 * The EnKash simulator in a process of its own, so that the bench measures the client's work alone: a server in the
 * same process would share its event loop and dilute every difference between clients. Started by
 * {@link startRemoteSimulator}, it answers the parent's requests over the IPC channel and exits when told to close
 * or when the parent goes away.
 */
import { startEnkashSimulator } from '../../lib/testing/index.js';
import type { SimulatorCommand, SimulatorReply } from './remote-simulator.js';

const simulator = await startEnkashSimulator();

function answer(command: SimulatorCommand): unknown {
  switch (command.op) {
    case 'stats':
      return { ...simulator.stats };
    case 'tokenRequestTimes':
      return simulator.tokenRequests.map((request) => ({
        grantType: request.grantType,
        receivedAt: request.receivedAt,
      }));
    case 'resetStats':
      return simulator.resetStats();
    case 'setTokenLifetime':
      return simulator.setTokenLifetime(command.seconds);
    case 'injectFault':
      return simulator.injectFault(command.fault, command.options);
    case 'injectResourceFault':
      return simulator.injectResourceFault(command.fault, command.options);
    case 'clearFaults':
      return simulator.clearFaults();
    case 'revokeAccessToken':
      return simulator.revokeAccessToken();
  }
}

process.on('message', (message: { id: number; command: SimulatorCommand }) => {
  const { id, command } = message;
  if (command.op === 'close') {
    void simulator.close().then(() => {
      process.send?.({ id, value: undefined } satisfies SimulatorReply, () => process.exit(0));
    });
    return;
  }
  try {
    process.send?.({ id, value: answer(command) } satisfies SimulatorReply);
  } catch (error) {
    process.send?.({ id, error: String(error) } satisfies SimulatorReply);
  }
});
// The parent died or closed the channel: nothing is left to serve.
process.on('disconnect', () => void simulator.close().then(() => process.exit(0)));
process.send?.({
  id: 0,
  value: { url: simulator.url, options: simulator.options },
} satisfies SimulatorReply);
