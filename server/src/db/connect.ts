import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PreparingClient } from './prepared.ts';
import type { DB } from './schema.ts';

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  db: Database;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

// Return bigint (int8: counts, sums) as numbers: amounts stay far below 2^53 minor units.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * A PostgreSQL server. `onIdleError` hears of idle connections the server dropped (restart,
 * failover): without a listener that error would end the process; the pool replaces them.
 */
export function connectPostgres(
  url: string,
  max = 10,
  onIdleError: (err: Error) => void = () => undefined,
): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max, Client: PreparingClient });
  pool.on('error', onIdleError);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: 'postgres', close: () => db.destroy() };
}

/**
 * The embedded database: PGlite in-process, data in `dir` (or in memory when `dir` is absent;
 * `from`: the contents of a data folder to start with, as `dumpPglite` made them).
 * PGlite has one connection, so transactions run one at a time; fsync is off (not crash-safe).
 */
export async function connectPglite(
  dir?: string,
  from?: Blob,
): Promise<DatabaseHandle & { dump(): Promise<Blob> }> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  if (dir) mkdirSync(dir, { recursive: true });
  // btree_gist: the booking constraint (migration 010) is an exclusion over (expert, time range).
  const { btree_gist } = await import('@electric-sql/pglite/contrib/btree_gist');
  const lite = await PGlite.create(dir, {
    extensions: { btree_gist },
    ...(from && { loadDataDir: from }),
  });
  const pool = new pg.Pool({ ...createPgConfig(lite), max: 1, Client: PreparingClient });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'pglite',
    close: async () => {
      await db.destroy();
      await lite.close();
    },
    /** The data folder's contents, uncompressed: a new embedded database starts from them in ≈ 1 s instead of ≈ 4. */
    dump: () => lite.dumpDataDir('none'),
  };
}
