// Preloaded into a fixture's built app (`node --import <this file> dist/main.js`): on SIGUSR2, writes to the file
// named by ENKASH_COPIES_REPORT every file of nestjs-enkash-auth the process has loaded, through require() or import,
// so that the compatibility suite can check that an app holds one copy of the library, never both builds. (Not on
// exit: Nest's shutdown hooks end the process by its signal, and no 'exit' event comes then.)
import { writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const imported = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => imported.add(url));
port1.unref();
register('./copies-probe-hooks.mjs', import.meta.url, {
  data: { port: port2 },
  transferList: [port2],
});

const requireCache = createRequire(import.meta.url).cache;

process.on('SIGUSR2', () => {
  const ours = (file) => file.includes('/node_modules/nestjs-enkash-auth/');
  const report = {
    required: Object.keys(requireCache).filter(ours),
    imported: [...imported].map((url) => new URL(url).pathname).filter(ours),
  };
  writeFileSync(process.env.ENKASH_COPIES_REPORT, JSON.stringify(report));
});
