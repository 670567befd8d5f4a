import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Config } from '../config.ts';

/**
 * Where shared files' bytes live. Every upload is first spooled to a local file (its size and
 * type known, nothing held in memory), then handed to `put`. Keys are made by the server
 * (`sessions/{sessionId}/{fileId}`), never from user input. Two implementations: local-storage.ts
 * and s3-storage.ts, one chosen at start (app.ts) by FILE_STORAGE.
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
export const spoolPath = (config: Pick<Config, 'DATA_DIR'>, fileId: string) =>
  join(filesDir(config), 'spool', fileId);
