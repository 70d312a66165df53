// Jest global teardown of the compatibility suite: removes the folder pack-tarball.js packed the tarball into.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';

export default function removeTarball() {
  const tarball = process.env.ENKASH_COMPAT_TARBALL;
  if (tarball) rmSync(dirname(tarball), { recursive: true, force: true });
}
