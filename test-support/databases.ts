import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
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

let template: Promise<Blob> | undefined;

/** From the run's migrated template (test-support/global-setup.ts): migrate() then finds nothing to do. */
async function freshPglite(): Promise<DatabaseHandle> {
  template ??= readFile(inject('hgPgliteTemplate')).then((b) => new Blob([b]));
  const h = await connectPglite(undefined, await template);
  await migrate(h.db);
  return h;
}

/**
 * The fast lane (`npm run test:quick`, files not isolated: HG_PGLITE_REUSE=1) keeps the embedded
 * databases a worker has made and hands a closed one to the next file emptied — every table
 * truncated, sequences restarted, the schema kept — which takes milliseconds where starting
 * one takes a second. The whole suite gives each file a database of its own.
 */
const reusable: DatabaseHandle[] = [];
const reuse = process.env.HG_PGLITE_REUSE === '1';

async function emptied(h: DatabaseHandle): Promise<DatabaseHandle> {
  const { rows } = await sql<{
    name: string;
  }>`select tablename as name from pg_tables where schemaname = 'public' and tablename not like 'schema_%'`.execute(
    h.db,
  );
  await sql
    .raw(`truncate ${rows.map((r) => `"${r.name}"`).join(', ')} restart identity cascade`)
    .execute(h.db);
  return h;
}

export const pgliteTarget: DatabaseTarget = {
  name: 'pglite',
  open: async () => {
    if (!reuse) return freshPglite();
    const h = reusable.pop();
    const db = h ? await emptied(h) : await freshPglite();
    return { ...db, close: async () => void reusable.push(db) };
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
