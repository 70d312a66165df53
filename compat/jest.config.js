/**
 * The compatibility suite (`npm run test:compat`): the packed tarball installed into fixture apps shaped as each Nest
 * CLI makes them, built and tested with their own commands. Slow (npm installs), so not part of `npm test`.
 */
import base from '../jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  rootDir: '..',
  roots: ['<rootDir>/compat'],
  testMatch: ['**/*.compat-spec.ts'],
  globalSetup: '<rootDir>/compat/support/pack-tarball.js',
  globalTeardown: '<rootDir>/compat/support/remove-tarball.js',
  // An npm install from the registry takes minutes on a cold cache; each step has a bound of its own too.
  testTimeout: 15 * 60 * 1000,
  maxWorkers: 2,
};
