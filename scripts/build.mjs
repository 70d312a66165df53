// Builds the package's two copies from the one lib/: dist/esm (ES modules, for `import`) and dist/cjs (CommonJS,
// for `require`). package.json's `exports` sends each app to one of them, never both.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.build.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
// The package itself is "type": "module": without this marker Node would read dist/cjs/*.js as ES modules, and
// TypeScript would read dist/cjs/*.d.ts as ES module types (TS1479 in CommonJS apps).
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', `${JSON.stringify({ type: 'commonjs' })}\n`);
