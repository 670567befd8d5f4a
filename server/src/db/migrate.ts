import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';

const dir = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered SQL files `NNN_name.sql`, in order. The same files serve PGlite and PostgreSQL. */
export function loadMigrations(): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(dir + f, 'utf8') }));
}

// Any fixed number: all nodes that start at once queue on this lock, so each migration runs once.
const MIGRATION_LOCK = 0x4867_6c73;

/** Applies the migrations not yet applied, each in its own transaction. Returns their names. */
export async function migrate(db: Kysely<any>): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await sql`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`.execute(trx);
    const { rows } = await sql<{ version: number }>`select version from schema_migrations`.execute(trx);
    const done = new Set(rows.map((r) => r.version));
    const applied: string[] = [];
    for (const m of loadMigrations()) {
      if (done.has(m.version)) continue;
      await sql.raw(m.sql).execute(trx);
      await sql`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`.execute(trx);
      applied.push(m.name);
    }
    return applied;
  });
}
