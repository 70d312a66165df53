import { describeFixture } from './support/describe-fixture.js';

// The nest11-jest app (its src/ and test/) with the settings of many older apps: TypeScript 5.7, module commonjs and
// moduleResolution node (which reads typesVersions, not exports). @nestjs/schedule 5, on Node 22.
describeFixture({
  name: 'nest11-jest-node10',
  nodeMajor: 22,
  peers: [
    '@nestjs/axios@4',
    '@nestjs/config@4',
    '@nestjs/schedule@5',
    '@nestjs/terminus@11',
    '@nestjs/event-emitter@3',
    'axios',
  ],
  loads: 'cjs',
  e2eTests: 7,
  sourcesFrom: 'nest11-jest',
});
