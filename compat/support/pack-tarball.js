// Jest global setup of the compatibility suite: packs the package once, exactly as `npm pack` gives it to a user
// (its prepack script builds both copies), and tells the fixtures where the tarball is.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function packTarball() {
  const directory = mkdtempSync(join(tmpdir(), 'enkash-compat-pack-'));
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', directory], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [{ filename }] = JSON.parse(output);
  process.env.ENKASH_COMPAT_TARBALL = join(directory, filename);
}
