import { describeFixture } from './support/describe-fixture.js';

// A Nest 10 app as `nest new` makes it: CommonJS, TypeScript 5 with module commonjs (so moduleResolution node, which
// reads no exports), jest with ts-jest. Installed with the README's line for Nest 10, ioredis 5 for its Redis test,
// on Node 20.
describeFixture({
  name: 'nest10-jest',
  nodeMajor: 20,
  peers: [
    '@nestjs/axios@3',
    '@nestjs/config@3',
    '@nestjs/schedule@4',
    '@nestjs/terminus@11',
    '@nestjs/event-emitter@2',
    'ioredis@5',
    'axios',
  ],
  loads: 'cjs',
  e2eTests: 8,
});
