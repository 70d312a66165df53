import { describeFixture } from './support/describe-fixture.js';

// A Nest 12 app as `nest new` makes it: an ES module, TypeScript 6 with module nodenext, vitest. Installed with the
// README's line for Nest 12 (no majors pinned: npm takes the newest), on Node 26.
describeFixture({
  name: 'nest12-vitest',
  nodeMajor: 26,
  nestMajor: 12,
  optionalPeers: ['@nestjs/terminus', '@nestjs/event-emitter'],
  loads: 'esm',
  e2eTests: 7,
});
