import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

interface PackedFile {
  path: string;
}

interface Manifest {
  bin?: Record<string, string>;
  repository?: { url?: string };
  homepage?: string;
  bugs?: { url?: string };
  license?: string;
}

const rootDir = process.cwd();
const manifest = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as Manifest;

/** The files `npm pack` would put in the tarball; its prepack script builds both copies first. */
function packedFiles(): string[] {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json'], {
    cwd: rootDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const [{ files }] = JSON.parse(output) as [{ files: PackedFile[] }];
  return files.map((file) => file.path).sort();
}

describe('the tarball npm pack makes', () => {
  const files = packedFiles();

  it.each(['esm', 'cjs'])('holds the %s build of every entry point, with its types', (build) => {
    for (const entry of ['', 'testing/', 'health/']) {
      expect(files).toContain(`dist/${build}/${entry}index.js`);
      expect(files).toContain(`dist/${build}/${entry}index.d.ts`);
    }
  });

  it('has the types of every module it ships', () => {
    const untyped = files
      .filter((file) => file.endsWith('.js'))
      .filter((file) => !files.includes(file.replace(/\.js$/, '.d.ts')));
    expect(untyped).toEqual([]);
  });

  it('marks the CommonJS build as CommonJS, inside a package that is an ES module', () => {
    expect(files).toContain('dist/cjs/package.json');
    expect(files).not.toContain('dist/esm/package.json');
    expect(JSON.parse(readFileSync(join(rootDir, 'dist/cjs/package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
  });

  it.each([
    ['cjs', ts.ModuleKind.CommonJS],
    ['esm', ts.ModuleKind.ESNext],
  ])('has TypeScript read every %s declaration file as that module format', (build, format) => {
    // With module nodenext (the Nest 11 CLI's), a CommonJS app that meets ES module types fails with TS1479.
    const misread = files
      .filter((file) => file.startsWith(`dist/${build}/`) && file.endsWith('.d.ts'))
      .filter(
        (file) =>
          ts.getImpliedNodeFormatForFile(join(rootDir, file) as ts.Path, undefined, ts.sys, {
            moduleResolution: ts.ModuleResolutionKind.NodeNext,
          }) !== format,
      );
    expect(misread).toEqual([]);
  });

  it('ships the same declarations in both builds', () => {
    const declarations = files.filter(
      (file) => file.startsWith('dist/esm/') && file.endsWith('.d.ts'),
    );
    const different = declarations.filter((file) => {
      const twin = file.replace('dist/esm/', 'dist/cjs/');
      if (file.endsWith('simulator-cli.d.ts')) return files.includes(twin);
      return (
        readFileSync(join(rootDir, file), 'utf8') !== readFileSync(join(rootDir, twin), 'utf8')
      );
    });
    expect(different).toEqual([]);
  });

  it('holds the README, the LICENSE and package.json', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json']));
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(rootDir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('holds every command of bin', () => {
    for (const target of Object.values(manifest.bin ?? {})) {
      expect(files).toContain(target.replace(/^\.\//, ''));
    }
  });

  it('holds no tests, test sources, fixtures, sources or secrets', () => {
    const unwanted = files.filter(
      (file) =>
        /(^|\/)(test|compat|fixtures|sample-app|bench|scripts|lib)\//.test(file) ||
        /\.(e2e-)?spec\./.test(file) ||
        (file.endsWith('.ts') && !file.endsWith('.d.ts')) ||
        /(^|\/)\.env|\.pem$|\.key$|\.npmrc$|\.tgz$/.test(file),
    );
    expect(unwanted).toEqual([]);
    expect(
      files.every((file) => /^(dist\/(esm|cjs)\/|README\.md$|LICENSE$|package\.json$)/.test(file)),
    ).toBe(true);
  });

  it('says where the repository, its home page and its issues are', () => {
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\/github\.com\//);
    expect(manifest.homepage).toMatch(/^https:\/\/github\.com\//);
    expect(manifest.bugs?.url).toMatch(/^https:\/\/github\.com\/.*\/issues$/);
  });
});
