// Prints two figures of the token engine against the bundled simulator over loopback HTTP:
// how many token requests 200 concurrent cold callers cause, and when the renewal of a 4-second token fires.
// Run: npm run measure   (builds dist/ first)
import 'reflect-metadata';
import { EnkashAuthService } from '../dist/index.js';
import { startEnkashSimulator } from '../dist/testing/index.js';
import { bootAgainstSimulator } from './boot-against-simulator.mjs';

const simulator = await startEnkashSimulator({ tokenLifetimeSeconds: 4 });
simulator.injectFault({ kind: 'delay', ms: 30 }); // a token round trip long enough for callers to pile up
const app = await bootAgainstSimulator(simulator, { acquireOnStartup: false });
const auth = app.get(EnkashAuthService);

const startedAt = performance.now();
const tokens = await Promise.all(Array.from({ length: 200 }, () => auth.getAccessToken()));
console.log(
  `200 concurrent cold callers: ${new Set(tokens).size} distinct token, ` +
    `${simulator.stats.tokenRequests} token request(s), all served after ${(performance.now() - startedAt).toFixed(0)} ms`,
);

const passwordGrantAt = simulator.tokenRequests[0].receivedAt;
const deadline = Date.now() + 5_000;
while (simulator.stats.refreshGrants === 0 && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 5));
}
const renewal = simulator.tokenRequests[1];
console.log(
  renewal
    ? `4 s token: ${renewal.grantType} grant received ${renewal.receivedAt - passwordGrantAt} ms after the password grant ` +
        '(expected about 2000 ms: the 300 s margin is clamped to half the lifetime)'
    : '4 s token: no renewal within 5 s',
);
await app.close();
await simulator.close();
