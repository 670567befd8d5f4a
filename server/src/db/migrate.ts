import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { sql, type Kysely } from 'kysely';

// Paths from import.meta.dirname, not `new URL(…, import.meta.url)`: a test environment with a
// DOM (the web app's component tests) replaces the global URL with one Node's fileURLToPath refuses.
const migrationsDir = join(import.meta.dirname, 'migrations', sep);
const functionsDir = join(import.meta.dirname, 'functions', sep);

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered SQL files `NNN_name.sql`, in order: tables and data. The same files serve PGlite and PostgreSQL. */
export function loadMigrations(): Migration[] {
  return readdirSync(migrationsDir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 3)),
      name: f,
      sql: readFileSync(migrationsDir + f, 'utf8'),
    }));
}

export interface DatabaseFunction {
  name: string;
  sql: string;
  checksum: string;
}

/** `functions/*.sql`: each database function as it is today, `create or replace`. */
export function loadFunctions(): DatabaseFunction[] {
  return readdirSync(functionsDir)
    .filter((f) => /^[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const text = readFileSync(functionsDir + f, 'utf8');
      return { name: f, sql: text, checksum: createHash('sha256').update(text).digest('hex') };
    });
}

// Any fixed number: all nodes that start at once queue on this lock, so each migration runs once.
const MIGRATION_LOCK = 0x4867_6c73;

/**
 * Brings the database up to this release, in one transaction under an advisory lock: the
 * migrations not yet applied, then every function file whose text is not the one last applied
 * (a checksum per file). Migrations are history — an applied one is never edited; a function's
 * file is its current text, re-applied when it changes (the rule for changing what a function
 * answers: docs/OPERATIONS.md). Returns what it applied.
 */
export async function migrate(db: Kysely<any>): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await sql`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`.execute(
      trx,
    );
    await sql`create table if not exists schema_functions (
      name text primary key, checksum text not null, applied_at timestamptz not null default now())`.execute(
      trx,
    );
    const { rows } = await sql<{ version: number }>`select version from schema_migrations`.execute(
      trx,
    );
    const done = new Set(rows.map((r) => r.version));
    const applied: string[] = [];
    for (const m of loadMigrations()) {
      if (done.has(m.version)) continue;
      await sql.raw(m.sql).execute(trx);
      await sql`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`.execute(
        trx,
      );
      applied.push(m.name);
    }
    const { rows: current } = await sql<{
      name: string;
      checksum: string;
    }>`select name, checksum from schema_functions`.execute(trx);
    const known = new Map(current.map((r) => [r.name, r.checksum]));
    for (const f of loadFunctions()) {
      if (known.get(f.name) === f.checksum) continue;
      await sql.raw(f.sql).execute(trx);
      await sql`insert into schema_functions (name, checksum) values (${f.name}, ${f.checksum})
        on conflict (name) do update set checksum = excluded.checksum, applied_at = now()`.execute(
        trx,
      );
      applied.push(`functions/${f.name}`);
    }
    return applied;
  });
}
