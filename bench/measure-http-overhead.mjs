// What attaching the token costs per call: EnkashHttpService against @nestjs/axios's HttpService with the
// Authorization header set by hand, on the same loopback server (the bundled simulator), sequential calls.
// Also the cost of the interceptors alone, with a per-call adapter that answers at once (no network).
// Run: npm run measure:http   (builds dist/ first)
import 'reflect-metadata';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { firstValueFrom } from 'rxjs';
import { EnkashAuthService, EnkashHttpService } from '../dist/index.js';
import { startEnkashSimulator } from '../dist/testing/index.js';
import { bootAgainstSimulator } from './boot-against-simulator.mjs';

const CALLS = 3_000;
const ROUNDS = 5;
const PATH = '/api/v0/payout-account/balance';

const simulator = await startEnkashSimulator();
const app = await bootAgainstSimulator(simulator);
const enkash = app.get(EnkashHttpService);
// What HttpModule.register({ baseURL }) provides: an HttpService on a fresh axios instance.
const plain = new HttpService(axios.create({ baseURL: simulator.url }));
const token = await app.get(EnkashAuthService).getAccessToken();
const byHand = { headers: { Authorization: `Bearer ${token}` } };
const instantAdapter = (config) =>
  Promise.resolve({ data: {}, status: 200, statusText: 'OK', headers: {}, config });

async function timePerCall(call) {
  for (let i = 0; i < 200; i += 1) await call(); // warm-up
  const startedAt = performance.now();
  for (let i = 0; i < CALLS; i += 1) await call();
  return ((performance.now() - startedAt) * 1000) / CALLS;
}

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = { wirePlain: [], wireEnkash: [], interceptorsPlain: [], interceptorsEnkash: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  results.wirePlain.push(await timePerCall(() => firstValueFrom(plain.get(PATH, byHand))));
  results.wireEnkash.push(await timePerCall(() => firstValueFrom(enkash.get(PATH))));
  results.interceptorsPlain.push(
    await timePerCall(() => plain.axiosRef.get(PATH, { ...byHand, adapter: instantAdapter })),
  );
  results.interceptorsEnkash.push(
    await timePerCall(() => enkash.axiosRef.get(PATH, { adapter: instantAdapter })),
  );
}
const line = (label, a, b) =>
  `${label}: @nestjs/axios + header by hand ${median(a).toFixed(1)} µs/call, ` +
  `EnkashHttpService ${median(b).toFixed(1)} µs/call (${(median(b) - median(a)).toFixed(1)} µs difference)`;
console.log(`${CALLS} sequential calls × ${ROUNDS} rounds, medians`);
console.log(line('over loopback HTTP', results.wirePlain, results.wireEnkash));
console.log(
  line('no network (instant adapter)', results.interceptorsPlain, results.interceptorsEnkash),
);
console.log(`token requests: ${simulator.stats.tokenRequests}`);
await app.close();
await simulator.close();
