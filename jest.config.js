/** Jest runs in its ESM mode: NestJS 12 ships as ES modules only. */
/** @type {import('jest').Config} */
export default {
  // Node's environment, plus a process-level hook that fails a suite on any unhandled promise rejection.
  testEnvironment: '<rootDir>/test/support/unhandled-rejection.environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  roots: ['<rootDir>/lib', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testTimeout: 20000,
  maxWorkers: 2,
};
