import { describeFixture } from './support/describe-fixture.js';

// A Nest 11 app as `nest new` makes it: CommonJS, TypeScript 5 with module nodenext, jest with ts-jest. Installed
// with the README's line for Nest 11, on Node 24.
describeFixture({
  name: 'nest11-jest',
  nodeMajor: 24,
  peers: [
    '@nestjs/axios@4',
    '@nestjs/config@4',
    '@nestjs/schedule@6',
    '@nestjs/terminus@11',
    '@nestjs/event-emitter@3',
    'axios',
  ],
  loads: 'cjs',
  e2eTests: 7,
});
