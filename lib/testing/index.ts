/**
 * Test helpers of nestjs-enkash-auth: an EnKash token-server simulator for your own tests.
 * @module
 */
export { startEnkashSimulator } from './enkash-simulator.js';
export type {
  EnkashSimulator,
  EnkashSimulatorCommonFault,
  EnkashSimulatorFault,
  EnkashSimulatorFaultOptions,
  EnkashSimulatorGrant,
  EnkashSimulatorOptions,
  EnkashSimulatorResourceFault,
  EnkashSimulatorResourceFaultOptions,
  EnkashSimulatorResourceRequest,
  EnkashSimulatorStats,
  EnkashSimulatorTokenRequest,
} from './simulator.interfaces.js';
