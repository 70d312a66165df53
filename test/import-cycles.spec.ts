import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { sourceFiles } from './support/source-files.js';

// No import cycle among the library's own files. A cycle works only while no module reads another's export before
// that one has finished loading (a class used by a decorator, a constant read at the top level): it breaks on the
// day someone moves a call, and it breaks differently in the ES module and the CommonJS builds.

const rootDir = process.cwd();
const libDir = join(rootDir, 'lib');

/** Whether an import names nothing but types: `import type`, or `import { type A, type B }`. */
function importsTypesOnly(clause: ts.ImportClause | undefined): boolean {
  if (clause === undefined) return false; // `import './x.js'`: run for its effects
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  if (bindings === undefined || ts.isNamespaceImport(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

/** Whether a re-export names nothing but types: `export type { … } from`, or `export { type A } from`. */
function exportsTypesOnly(declaration: ts.ExportDeclaration): boolean {
  if (declaration.isTypeOnly) return true;
  const clause = declaration.exportClause;
  if (clause === undefined || !ts.isNamedExports(clause)) return false; // `export * from`
  return clause.elements.length > 0 && clause.elements.every((element) => element.isTypeOnly);
}

/**
 * The relative specifiers (`./x.js`, `../y/z.js`) of the static imports and re-exports of `source` that can bring a
 * value: every one but those that name only types. Strict on purpose: an imported class used only as a type is still
 * counted (decorator metadata may turn it into a value). A dynamic `import()` waits until the importer has loaded,
 * so it is no part of a load-time cycle and is not counted.
 */
function valueImports(source: string, fileName = 'file.ts'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false);
  const specifiers: string[] = [];
  for (const statement of file.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement) && !importsTypesOnly(statement.importClause)) {
      specifier = statement.moduleSpecifier;
    } else if (ts.isExportDeclaration(statement) && !exportsTypesOnly(statement)) {
      specifier = statement.moduleSpecifier;
    }
    if (
      specifier !== undefined &&
      ts.isStringLiteral(specifier) &&
      specifier.text.startsWith('.')
    ) {
      specifiers.push(specifier.text);
    }
  }
  return specifiers;
}

/** The files of ours each file imports values from, as paths relative to `lib/` (`./x.js` names `./x.ts`). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(libDir)) {
    const imported = valueImports(readFileSync(file, 'utf8'), file).map((specifier) =>
      relative(libDir, join(dirname(file), specifier.replace(/\.js$/, '.ts'))),
    );
    graph.set(relative(libDir, file), imported);
  }
  return graph;
}

/**
 * One cycle per group of files that import each other, directly or not (a strongly connected component, found with
 * Tarjan's algorithm), written `a.ts → b.ts → a.ts` from its first file in alphabetical order. A file that imports
 * itself is a cycle too.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];

  const connect = (file: string): void => {
    index.set(file, index.size);
    lowLink.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        connect(next);
        lowLink.set(file, Math.min(lowLink.get(file)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(file, Math.min(lowLink.get(file)!, index.get(next)!));
      }
    }
    if (lowLink.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    const selfImport = (graph.get(file) ?? []).includes(file);
    if (component.length > 1 || selfImport) components.push(component);
  };
  for (const file of [...graph.keys()].sort()) {
    if (!index.has(file)) connect(file);
  }
  return components.map((component) => cycleThrough(graph, new Set(component))).sort();
}

/**
 * A shortest way from the component's first file back to itself, through the component's files only, followed by
 * the component's other files when that way does not pass them all.
 */
function cycleThrough(graph: ReadonlyMap<string, readonly string[]>, members: Set<string>): string {
  const start = [...members].sort()[0];
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of [...(graph.get(file) ?? [])].sort()) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0])!);
        const others = [...members].filter((member) => !path.includes(member)).sort();
        const cycle = [...path, start].join(' → ');
        return others.length === 0
          ? cycle
          : `${cycle} (and, in cycles with these: ${others.join(', ')})`;
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  throw new Error(`no cycle through ${start}`); // unreachable for a strongly connected component
}

describe('import cycles in lib/', () => {
  it('has none among the value imports of its source files', () => {
    expect(importCycles(importGraph())).toEqual([]);
  });

  it('reads the imports it checks: the module imports its service, as a value', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('enkash-auth.module.ts')).toContain('enkash-auth.service.ts');
    expect(graph.get('index.ts')).toContain('enkash-auth.module.ts');
  });
});

describe('valueImports', () => {
  it('counts value imports, re-exports and imports for effects, relative ones only', () => {
    const source = [
      "import { A } from './a.js';",
      "import B from '../b.js';",
      "import * as C from './c.js';",
      "import { D, type E } from './d.js';",
      "import './effects.js';",
      "export { F } from './f.js';",
      "export * from './g.js';",
      "import { Injectable } from '@nestjs/common';",
    ].join('\n');
    expect(valueImports(source)).toEqual([
      './a.js',
      '../b.js',
      './c.js',
      './d.js',
      './effects.js',
      './f.js',
      './g.js',
    ]);
  });

  it('leaves out what names only types, and dynamic imports', () => {
    const source = [
      "import type { A } from './a.js';",
      "import { type B, type C } from './b.js';",
      "export type { D } from './d.js';",
      "export { type E } from './e.js';",
      "const f = () => import('./f.js');",
    ].join('\n');
    expect(valueImports(source)).toEqual([]);
  });
});

describe('importCycles', () => {
  it('names each cycle once, from its first file, by a shortest way round', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', ['a.ts']],
      ['f.ts', ['g.ts']],
      ['g.ts', []],
    ]);
    expect(importCycles(graph)).toEqual(['a.ts → b.ts → c.ts → a.ts', 'd.ts → d.ts']);
  });

  it('names the files of a group that its shortest cycle does not pass', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['a.ts', 'c.ts']],
      ['c.ts', ['b.ts']],
    ]);
    expect(importCycles(graph)).toEqual(['a.ts → b.ts → a.ts (and, in cycles with these: c.ts)']);
  });

  it('finds none in a graph without one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts', 'c.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', []],
    ]);
    expect(importCycles(graph)).toEqual([]);
  });
});
