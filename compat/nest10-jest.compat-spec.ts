import { describeFixture } from './support/describe-fixture.js';

// A Nest 10 app as `nest new` makes it: CommonJS, TypeScript 5 with module commonjs (so moduleResolution node, which
// reads no exports), jest with ts-jest; reflect-metadata 0.1, as the Nest 10.0 CLI wrote it. Installed with the
// README's line for Nest 10, and ioredis 5 for its Redis test, on Node 20.
describeFixture({
  name: 'nest10-jest',
  nodeMajor: 20,
  nestMajor: 10,
  optionalPeers: ['@nestjs/terminus@11', '@nestjs/event-emitter@2', 'ioredis@5'],
  loads: 'cjs',
  e2eTests: 8,
});
