// How the django-oauth-toolkit test server (oauth2-server.ts) is run: Debian's Python, the Django project under
// test/oauth2-server/, and the migrated template database that each server's own database is copied from.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's Python, which has Django and django-oauth-toolkit; `python3` on PATH may be another one. */
export const PYTHON = '/usr/bin/python3';
/** `-E`: no PYTHON* variable of the caller's environment; `-s`: no user site-packages; `-B`: no __pycache__. */
export const PYTHON_FLAGS = ['-E', '-s', '-B'];

/**
 * The Django project, test/oauth2-server, found by walking up from this file: it also runs compiled, from the bench's
 * output directory (dist-bench/test/support/), where a fixed `../oauth2-server` would land elsewhere.
 */
function findProjectDirectory(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'test', 'oauth2-server');
    if (existsSync(join(candidate, 'manage.py'))) return candidate;
    const parent = dirname(directory);
    if (parent === directory)
      throw new Error('test/oauth2-server/manage.py not found above the tests');
    directory = parent;
  }
}

export const PROJECT_DIRECTORY = findProjectDirectory();

let pythonVersions: string | undefined;

/**
 * Throws a clear error when Debian's Python cannot import Django and django-oauth-toolkit within `timeoutMs`;
 * otherwise returns their versions.
 */
export function checkPythonPackages(timeoutMs: number): string {
  if (pythonVersions !== undefined) return pythonVersions;
  const check = spawnSync(
    PYTHON,
    [
      ...PYTHON_FLAGS,
      '-c',
      'import sys, django, oauth2_provider; print(sys.version, django.get_version(), oauth2_provider.__version__)',
    ],
    { encoding: 'utf8', timeout: timeoutMs },
  );
  if (check.status !== 0) {
    const reason =
      check.error?.message ?? (check.stderr ?? '').trim().split('\n').at(-1) ?? 'no output';
    throw new Error(
      `${PYTHON} cannot import django-oauth-toolkit (${reason}): install it: ` +
        'apt-get install -y python3-django-oauth-toolkit',
    );
  }
  pythonVersions = check.stdout.trim();
  return pythonVersions;
}

/**
 * A migrated, empty database that servers copy instead of migrating (which costs more than the rest of a start),
 * written by the first server that misses it. Its name holds a digest of the Django project's files and of Python's,
 * Django's and django-oauth-toolkit's versions, so that a change of any of them makes a new one; shared by the test
 * processes of one user, in the temporary directory.
 */
export function templateDatabase(versions: string): string {
  const digest = createHash('sha256').update(versions);
  for (const file of pythonFiles(PROJECT_DIRECTORY).sort()) {
    digest.update(file.slice(PROJECT_DIRECTORY.length)).update(readFileSync(file));
  }
  const uid = process.getuid?.() ?? 0;
  return join(
    tmpdir(),
    `nestjs-enkash-auth-oauth2-server-${uid}-${digest.digest('hex').slice(0, 16)}.sqlite3`,
  );
}

function pythonFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return pythonFiles(path);
    return entry.isFile() && entry.name.endsWith('.py') ? [path] : [];
  });
}
