import { describeFixture } from './support/describe-fixture.js';

// A Nest 11 app as `nest new` makes it: CommonJS, TypeScript 5.7 (its lock: the CLI asks for ^5.7.3) with module
// nodenext, which reads our .d.ts as CommonJS or ES module types by the package.json beside them, jest with ts-jest.
// Installed with the README's line for Nest 11, and the newest ioredis (6) for its Redis test, on Node 24.
describeFixture({
  name: 'nest11-jest',
  nodeMajor: 24,
  nestMajor: 11,
  optionalPeers: ['@nestjs/terminus@11', '@nestjs/event-emitter@3', 'ioredis'],
  loads: 'cjs',
  e2eTests: 8,
});
