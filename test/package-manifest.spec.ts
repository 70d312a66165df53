import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { sourceFiles } from './support/source-files.js';

/** One build's files of an entry point: its types and its code. */
interface BuildFiles {
  types: string;
  default: string;
}

interface PackageManifest {
  type?: string;
  main?: string;
  types?: string;
  typesVersions?: Record<string, Record<string, string[]>>;
  files?: string[];
  bin?: Record<string, string>;
  exports?: Record<string, string | { import?: BuildFiles; require?: BuildFiles }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

const rootDir = process.cwd();
const libDir = join(rootDir, 'lib');
const manifest = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as PackageManifest;

const REQUIRED_PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/axios',
  '@nestjs/config',
  '@nestjs/schedule',
  'axios',
  'rxjs',
  'reflect-metadata',
];

/** Module specifiers of every import, `import type`, `export … from` and `import()` in the file. */
function moduleSpecifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((imported) => imported.fileName);
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub/path` → `name`; relative and built-ins → null. */
function packageName(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** `entry` and every file of ours it imports, directly or not (`./x.js` specifiers name `./x.ts` sources). */
function filesReachableFrom(entry: string): Set<string> {
  const reached = new Set<string>();
  const visit = (file: string): void => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const specifier of moduleSpecifiers(file)) {
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return reached;
}

/** What `exports[subpath]` must be: the ES module build for `import`, the CommonJS build for `require`. */
function dualEntry(folder: string): Record<'import' | 'require', BuildFiles> {
  const files = (build: string): BuildFiles => ({
    types: `./dist/${build}/${folder}index.d.ts`,
    default: `./dist/${build}/${folder}index.js`,
  });
  return { import: files('esm'), require: files('cjs') };
}

describe('package.json', () => {
  it('is an ES module package', () => {
    expect(manifest.type).toBe('module');
  });

  it('sends import to the ES module build and require to the CommonJS build, each with its types', () => {
    expect(manifest.exports?.['.']).toEqual(dualEntry(''));
  });

  it('points main and types at the CommonJS build, for tools that ignore exports', () => {
    expect(manifest.main).toBe('./dist/cjs/index.js');
    expect(manifest.types).toBe('./dist/cjs/index.d.ts');
  });

  it.each([
    ['./testing', 'testing'],
    ['./health', 'health'],
  ])('exposes the %s entry point, built from lib/%s/index.ts', (subpath, folder) => {
    expect(manifest.exports?.[subpath]).toEqual(dualEntry(`${folder}/`));
    expect(sourceFiles(join(libDir, folder))).toContain(join(libDir, folder, 'index.ts'));
  });

  it('maps the subpaths for moduleResolution node, which reads typesVersions instead of exports', () => {
    expect(manifest.typesVersions).toEqual({
      '*': {
        testing: ['./dist/cjs/testing/index.d.ts'],
        health: ['./dist/cjs/health/index.d.ts'],
      },
    });
  });

  it('installs the enkash-simulator command, built from lib/testing/simulator-cli.ts', () => {
    const command = manifest.bin?.['enkash-simulator'];
    expect(command).toBe('./dist/esm/testing/simulator-cli.js');
    // npm links the built file as is: without the shebang, the shell would run it as a shell script.
    const source = readFileSync(join(libDir, 'testing', 'simulator-cli.ts'), 'utf8');
    expect(source.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('publishes only the dist folder', () => {
    expect(manifest.files).toEqual(['dist']);
  });

  it('declares every package that lib/ imports', () => {
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared = sourceFiles(libDir).flatMap((file) =>
      moduleSpecifiers(file)
        .map(packageName)
        .filter((name): name is string => name !== null && !declared.has(name))
        .map((name) => `${name} (imported by ${relative(rootDir, file)})`),
    );
    expect(undeclared).toEqual([]);
  });

  it('installs every peer dependency for development', () => {
    const devDependencies = Object.keys(manifest.devDependencies ?? {});
    const missing = Object.keys(manifest.peerDependencies ?? {}).filter(
      (name) => !devDependencies.includes(name),
    );
    expect(missing).toEqual([]);
  });

  it('leaves NestJS, axios, rxjs and reflect-metadata to the host application as peers', () => {
    expect(Object.keys(manifest.peerDependencies ?? {})).toEqual(
      expect.arrayContaining(REQUIRED_PEERS),
    );
  });

  it('keeps @nestjs/terminus an optional peer, out of reach of the main entry point', () => {
    expect(manifest.peerDependencies?.['@nestjs/terminus']).toEqual(expect.any(String));
    expect(manifest.peerDependenciesMeta?.['@nestjs/terminus']).toEqual({ optional: true });
    // An application without terminus imports `nestjs-enkash-auth`: nothing it loads may import terminus.
    const importingTerminus = [...filesReachableFrom(join(libDir, 'index.ts'))].filter((file) =>
      moduleSpecifiers(file).some((specifier) => packageName(specifier) === '@nestjs/terminus'),
    );
    expect(importingTerminus.map((file) => relative(rootDir, file))).toEqual([]);
  });

  it('keeps ioredis an optional peer, loaded only when Redis is asked for', () => {
    expect(manifest.peerDependencies?.ioredis).toEqual(expect.any(String));
    expect(manifest.peerDependenciesMeta?.ioredis).toEqual({ optional: true });
    // A value import of ioredis at the top of a module would fail every user who does not install it.
    const eagerImports = sourceFiles(libDir).filter((file) =>
      /^\s*import\s+(?!type\b)[^;]*from\s+['"]ioredis['"]/m.test(readFileSync(file, 'utf8')),
    );
    expect(eagerImports.map((file) => relative(rootDir, file))).toEqual([]);
  });
});
