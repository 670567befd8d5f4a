import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fail } from '../platform/errors.ts';
import type { FileStorage } from './storage.ts';

/** The local disk: one node (or nodes sharing one disk). The spool is on the same disk, so `put` is a rename. */
export function localStorage(root: string): FileStorage {
  const path = (key: string) => join(root, ...key.split('/'));
  return {
    kind: 'local',
    async put(key, from) {
      await mkdir(dirname(path(key)), { recursive: true });
      await rename(from, path(key));
    },
    async get(key) {
      const p = path(key);
      if (!(await stat(p).catch(() => null))?.isFile()) fail('not_found', 'The file is gone.');
      return createReadStream(p);
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
  };
}
