/**
 * The README's ```ts blocks compile and lint as a user would paste them.
 *
 * Each block is a complete file unless the last non-blank line before its fence is `<!-- excerpt -->` (a one-liner
 * or a fragment, left unchecked). A complete block may name the file it is in a user's app, `<!-- file: src/app.module.ts -->`, so
 * that another block can import it (`./../src/app.module`); the others are `line-N.ts`, N being the fence's line.
 * Blocks are compiled as the files of a Nest 10/11 app built by the CLI (CommonJS, `module: nodenext`), with the
 * repository's strict settings and jest's globals (`@types/jest`), `nestjs-enkash-auth` mapped to `lib/`; then linted
 * with the repository's ESLint config.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const rootDir = process.cwd();
const readmePath = join(rootDir, 'README.md');

interface Snippet {
  /** Line of the opening fence in README.md (1-based). */
  line: number;
  /** Where the block lives, relative to the app's root. */
  file: string;
  code: string;
}

/** The README's ```ts blocks, complete ones and excerpts apart. */
function readmeSnippets(markdown: string): { complete: Snippet[]; excerpts: number[] } {
  const lines = markdown.split('\n');
  const complete: Snippet[] = [];
  const excerpts: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^\s*(`{3,})(\S*)/.exec(lines[i]); // indented too, as in a list item
    if (!fence) continue;
    const end = lines.findIndex((text, j) => j > i && text.trimStart().startsWith(fence[1]));
    if (end < 0) throw new Error(`README.md:${i + 1}: a code block is never closed`);
    if (fence[2] === 'ts' || fence[2] === 'typescript') {
      // The marker is the last non-blank line before the fence (Prettier puts a blank line after a comment).
      let before = i - 1;
      while (before > 0 && lines[before].trim() === '') before--;
      const marker = lines[before]?.trim() ?? '';
      const named = /^<!-- file: (\S+) -->$/.exec(marker);
      if (marker === '<!-- excerpt -->') excerpts.push(i + 1);
      else {
        const code = lines.slice(i + 1, end).join('\n') + '\n';
        complete.push({ line: i + 1, file: named ? named[1] : `line-${i + 1}.ts`, code });
      }
    }
    i = end;
  }
  return { complete, excerpts };
}

/** Settings close to the repository's tsconfig.json, for a CommonJS app, as a tsconfig.json's compilerOptions. */
function tsconfigOptions(): Record<string, unknown> {
  const lib = (path: string) => [join(rootDir, 'lib', path)];
  return {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['ES2022'],
    types: ['node', 'jest'],
    typeRoots: [join(rootDir, 'node_modules', '@types')],
    strict: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
    isolatedModules: true,
    skipLibCheck: true,
    forceConsistentCasingInFileNames: true,
    noEmit: true,
    paths: {
      'nestjs-enkash-auth': lib('index.ts'),
      'nestjs-enkash-auth/testing': lib('testing/index.ts'),
      'nestjs-enkash-auth/health': lib('health/index.ts'),
    },
  };
}

/** {@link tsconfigOptions} for the compiler API. */
function compilerOptions(): ts.CompilerOptions {
  const { options, errors } = ts.convertCompilerOptionsFromJson(tsconfigOptions(), rootDir);
  if (errors.length > 0)
    throw new Error(ts.flattenDiagnosticMessageText(errors[0].messageText, '\n'));
  return options;
}

/** `README.md:N (file)`, then the message, for each diagnostic of a snippet file. */
function describeDiagnostics(diagnostics: readonly ts.Diagnostic[], byPath: Map<string, Snippet>) {
  return diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const snippet = diagnostic.file && byPath.get(diagnostic.file.fileName);
    if (!diagnostic.file || diagnostic.start === undefined || !snippet) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `README.md:${snippet.line + 1 + line} (${snippet.file}): TS${diagnostic.code} ${message}`;
  });
}

describe("the README's TypeScript blocks", () => {
  const { complete, excerpts } = readmeSnippets(readFileSync(readmePath, 'utf8'));
  let appDir: string;
  const byPath = new Map<string, Snippet>();

  beforeAll(() => {
    // A CommonJS app whose node_modules are the repository's, so that the snippets and lib/ see the same types.
    appDir = mkdtempSync(join(tmpdir(), 'readme-snippets-'));
    writeFileSync(join(appDir, 'package.json'), '{ "private": true, "type": "commonjs" }\n');
    symlinkSync(join(rootDir, 'node_modules'), join(appDir, 'node_modules'), 'dir');
    for (const snippet of complete) {
      const path = join(appDir, snippet.file);
      if (byPath.has(path)) throw new Error(`README.md:${snippet.line}: ${snippet.file} twice`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, snippet.code);
      byPath.set(path, snippet);
    }
  });
  afterAll(() => {
    if (appDir) rmSync(appDir, { recursive: true, force: true }); // the node_modules link, not its target
  });

  it('are mostly complete files, with few excerpts', () => {
    expect(complete.length).toBeGreaterThanOrEqual(10);
    expect(excerpts.length).toBeLessThanOrEqual(complete.length / 2);
  });

  it('type-check as copied, with no unused import, variable or parameter', () => {
    const program = ts.createProgram([...byPath.keys()], compilerOptions());
    const diagnostics = [...byPath.keys()].flatMap((path) => {
      const file = program.getSourceFile(path);
      if (!file) return [];
      return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    });
    expect(
      describeDiagnostics([...program.getOptionsDiagnostics(), ...diagnostics], byPath),
    ).toEqual([]);
  });

  it("pass the repository's ESLint rules", async () => {
    const eslint = new ESLint({
      cwd: rootDir,
      overrideConfigFile: join(rootDir, 'eslint.config.js'),
    });
    const problems: string[] = [];
    for (const snippet of complete) {
      // A path of the app's source (not under test/, whose rules are looser), which need not exist.
      const filePath = join(rootDir, 'readme-snippets', snippet.file);
      for (const result of await eslint.lintText(snippet.code, { filePath })) {
        for (const message of result.messages) {
          const line = snippet.line + message.line;
          problems.push(
            `README.md:${line} (${snippet.file}): ${message.ruleId ?? ''} ${message.message}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("pass the type-checked ESLint rules of the Nest 11 CLI's apps", async () => {
    // The CLI's eslint.config.mjs: recommendedTypeChecked, no-explicit-any off, two rules as warnings only.
    writeFileSync(
      join(appDir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: tsconfigOptions(), include: ['**/*.ts'] }),
    );
    const eslint = new ESLint({
      cwd: appDir,
      overrideConfigFile: true,
      overrideConfig: [
        ...tseslint.configs.recommendedTypeChecked,
        {
          languageOptions: {
            parserOptions: { project: './tsconfig.json', tsconfigRootDir: appDir },
          },
          rules: {
            '@typescript-eslint/no-explicit-any': 'off',
            '@typescript-eslint/no-floating-promises': 'warn',
            '@typescript-eslint/no-unsafe-argument': 'warn',
          },
        },
      ],
    });
    const problems: string[] = [];
    for (const result of await eslint.lintFiles([...byPath.keys()])) {
      const snippet = byPath.get(result.filePath);
      for (const message of result.messages.filter((found) => found.severity === 2)) {
        const line = (snippet?.line ?? 0) + message.line;
        problems.push(
          `README.md:${line} (${snippet?.file}): ${message.ruleId ?? ''} ${message.message}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });
});
