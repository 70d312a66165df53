// The install line the README gives for each Nest major: the fixtures install exactly that, so that the README and
// what CI proves cannot drift apart.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const README = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md');

/**
 * What the README's `npm install nestjs-enkash-auth …` line for a Nest `major` app installs besides the library
 * (the line in the first bash block after "For a Nest <major> app:").
 */
export function readmeInstallLine(major: number): string[] {
  const readme = readFileSync(README, 'utf8');
  const heading = readme.indexOf(`For a Nest ${major} app:`);
  if (heading === -1) throw new Error(`README.md has no "For a Nest ${major} app:" install line`);
  const line = /```bash\n\s*npm install nestjs-enkash-auth ([^\n#]+)/.exec(readme.slice(heading));
  if (line === null)
    throw new Error(`README.md has no npm install line after "For a Nest ${major} app:"`);
  return line[1].trim().split(/\s+/);
}
