import { describeFixture } from './support/describe-fixture.js';

// The nest11-jest app (its src/ and test/) with the settings of many older apps: TypeScript 5.7, module commonjs and
// moduleResolution node (which reads typesVersions, not exports). The README's Nest 11 line with @nestjs/schedule 5
// in place of 6, and ioredis 5, on Node 22.
describeFixture({
  name: 'nest11-jest-node10',
  nodeMajor: 22,
  nestMajor: 11,
  instead: ['@nestjs/schedule@5'],
  optionalPeers: ['@nestjs/terminus@11', '@nestjs/event-emitter@3', 'ioredis@5'],
  loads: 'cjs',
  e2eTests: 8,
  sourcesFrom: 'nest11-jest',
});
