import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';
import { connectPglite, connectPostgres, type DatabaseHandle } from '../server/src/db/connect.ts';
import { migrate } from '../server/src/db/migrate.ts';
import { createDatabase, dropDatabase } from './postgres-admin.ts';

export interface DatabaseTarget {
  name: 'pglite' | 'postgres';
  /** A fresh, migrated database of this kind; `close()` drops it. */
  open(): Promise<DatabaseHandle>;
}

async function freshPostgres(url: string): Promise<DatabaseHandle> {
  const name = `${inject('hgRunId')}_${randomBytes(4).toString('hex')}`;
  const handle = connectPostgres(await createDatabase(url, name), 20);
  await migrate(handle.db);
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await dropDatabase(url, name);
    },
  };
}

export const pgliteTarget: DatabaseTarget = {
  name: 'pglite',
  open: async () => {
    const h = await connectPglite();
    await migrate(h.db);
    return h;
  },
};

export function databaseTargets(): DatabaseTarget[] {
  const url = process.env.TEST_DATABASE_URL;
  return url
    ? [pgliteTarget, { name: 'postgres', open: () => freshPostgres(url) }]
    : [pgliteTarget];
}

/**
 * Runs the same suite on every database: PGlite always, the PostgreSQL server when
 * TEST_DATABASE_URL is set (the global setup announces, or in CI refuses, the skip).
 */
export function describeOnDatabases(title: string, suite: (target: DatabaseTarget) => void): void {
  for (const target of databaseTargets())
    describe(`${title} [${target.name}]`, () => suite(target));
}
