import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDatabase, dropDatabase } from '../test-support/postgres-admin.ts';
import { connectPostgres } from '../server/src/db/connect.ts';
import { migrate } from '../server/src/db/migrate.ts';

/** The checked-in schema: what the migrations and function files make, as pg_dump prints it. */
export const SCHEMA_FILE = fileURLToPath(new URL('../server/src/db/schema.sql', import.meta.url));

/**
 * The schema a fresh database gets from `migrate()` on the PostgreSQL server of `baseUrl`, as
 * `pg_dump --schema-only` prints it, without what changes from one dump to the next (the
 * versions' banner, session settings, pg_dump's `\restrict` keys).
 */
export async function dumpSchema(baseUrl: string): Promise<string> {
  const name = `hg_schema_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(baseUrl, name);
  try {
    const handle = connectPostgres(url, 1);
    await migrate(handle.db);
    await handle.close();
    const dump = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', url], {
      encoding: 'utf8',
    });
    return normalise(dump);
  } finally {
    await dropDatabase(baseUrl, name);
  }
}

function normalise(dump: string): string {
  const kept = dump
    .split('\n')
    .filter(
      (l) =>
        !/^(SET |SELECT pg_catalog\.set_config|\\restrict |\\unrestrict |-- Dumped (from|by) )/.test(
          l,
        ),
    );
  return `-- The schema that server/src/db/migrate.ts makes (migrations, then functions), as\n-- pg_dump --schema-only prints it. Generated: npm run db:schema. Do not edit.\n${kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) {
    console.error(
      'Set TEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server: a scratch database is made there and dropped.',
    );
    process.exit(1);
  }
  writeFileSync(SCHEMA_FILE, await dumpSchema(url));
  console.log(`wrote ${SCHEMA_FILE}`);
}
