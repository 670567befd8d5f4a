import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import type { DatabaseHandle } from '../../src/db/connect.ts';
import { loadFunctions, migrate } from '../../src/db/migrate.ts';

/**
 * Database functions are files (server/src/db/functions/), applied after the migrations and
 * again whenever a file's text changes — the way a new release brings a function's new body to
 * a database that already has the old one.
 */
describeOnDatabases('database functions', (target) => {
  let h: DatabaseHandle;
  beforeAll(async () => {
    h = await target.open();
  });
  afterAll(() => h?.close());
  const definition = async (name: string) =>
    (
      await sql<{
        def: string;
      }>`select pg_get_functiondef(p.oid) as def from pg_proc p where p.proname = ${name}`.execute(
        h.db,
      )
    ).rows[0]?.def ?? '';

  it('each file is applied once; one whose text changed is applied again, and only it', async () => {
    const files = loadFunctions();
    expect(files.map((f) => f.name)).toContain('hg_charge.sql');
    const recorded = await sql<{
      name: string;
      checksum: string;
    }>`select name, checksum from schema_functions order by name`.execute(h.db);
    expect(recorded.rows).toEqual(
      files
        .map((f) => ({ name: f.name, checksum: f.checksum }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    expect(await migrate(h.db)).toEqual([]);

    // As after a release whose hg_charge.sql is not the text this database last applied.
    await sql`create or replace function hg_charge_due(p_now timestamptz, p_limit int, p_pct int, p_low_minutes int)
      returns table (session_id uuid, charged boolean, minute int, rate int, balance bigint, paid_until timestamptz, warn boolean)
      language sql as 'select null::uuid, false, 0, 0, 0::bigint, now(), false where false'`.execute(
      h.db,
    );
    await sql`update schema_functions set checksum = 'an older text' where name = 'hg_charge.sql'`.execute(
      h.db,
    );
    expect(await definition('hg_charge_due')).toContain('where false');
    expect(await migrate(h.db)).toEqual(['functions/hg_charge.sql']);
    expect(await definition('hg_charge_due')).toContain('s.client_away_since is null');
    expect(await migrate(h.db)).toEqual([]);
  });
});
