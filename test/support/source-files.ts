import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every `.ts` source file under `dir`, tests excluded. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    const isSource = entry.name.endsWith('.ts') && !/\.(e2e-)?spec\.ts$/.test(entry.name);
    return entry.isFile() && isSource ? [path] : [];
  });
}
