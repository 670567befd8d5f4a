import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Config } from '../config.ts';
import { fail } from '../platform/errors.ts';
import { s3Storage } from './s3-storage.ts';

/**
 * Where shared files' bytes live. Every upload is first spooled to a local file (its size and
 * type known, nothing held in memory), then handed to `put`. Keys are made by the server
 * (`sessions/{sessionId}/{fileId}`), never from user input.
 */
export interface FileStorage {
  readonly kind: 'local' | 's3';
  /** Stores the spooled file `from` under `key` (`from` may be moved or read; the caller removes it after). */
  put(key: string, from: string, size: number, mime: string): Promise<void>;
  /** The bytes under `key`; `not_found` if there are none. */
  get(key: string): Promise<Readable>;
  /** Removes `key`; removing what is not there is fine (cleanup runs more than once). */
  delete(key: string): Promise<void>;
}

/** DATA_DIR/files: `objects/` (the local store) and `spool/` (uploads under way, on every kind of store). */
export const filesDir = (config: Pick<Config, 'DATA_DIR'>) => join(config.DATA_DIR, 'files');
export const spoolPath = (config: Pick<Config, 'DATA_DIR'>, fileId: string) => join(filesDir(config), 'spool', fileId);

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

export function fileStorage(config: Config): FileStorage {
  return config.FILE_STORAGE === 's3' ? s3Storage(config) : localStorage(join(filesDir(config), 'objects'));
}
