import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import type { DatabaseHandle } from '../../src/db/connect.ts';
import { prepared } from '../../src/db/prepared.ts';

const PLUS_ONE = 'select $1::int + 1 as n';
const plusOne = prepared<{ n: number }>(PLUS_ONE);

describeOnDatabases('named prepared statements', (target) => {
  let h: DatabaseHandle;
  beforeAll(async () => {
    h = await target.open();
  });
  afterAll(() => h?.close());

  /** The statements this connection holds (a transaction keeps to one connection). */
  const held = async (trx: DatabaseHandle['db']) =>
    (
      await sql<{
        name: string;
        statement: string;
      }>`select name, statement from pg_prepared_statements`.execute(trx)
    ).rows;

  it('a registered text is prepared once on the connection and then only executed; other queries are not named', async () => {
    await h.db.transaction().execute(async (trx) => {
      expect((await trx.executeQuery(plusOne(1))).rows).toEqual([{ n: 2 }]);
      expect((await trx.executeQuery(plusOne(41))).rows).toEqual([{ n: 42 }]);
      await sql`select ${2}::int as m`.execute(trx);
      const statements = await held(trx);
      expect(statements.filter((s) => s.statement === PLUS_ONE)).toHaveLength(1);
      expect(statements.every((s) => s.name.startsWith('hg_prepared_'))).toBe(true);
    });
  });

  it('a text the server refused is not remembered as prepared: the next call parses it again', async () => {
    const later = prepared<{ v: number }>('select hg_test_defined_later($1::int) as v');
    await expect(h.db.executeQuery(later(7))).rejects.toThrow(/does not exist/);
    await sql`create function hg_test_defined_later(int) returns int language sql as 'select $1 * 2'`.execute(
      h.db,
    );
    expect((await h.db.executeQuery(later(7))).rows).toEqual([{ v: 14 }]);
  });

  it('a prepared statement outlives a rolled-back transaction on its connection', async () => {
    await expect(
      h.db.transaction().execute(async (trx) => {
        await trx.executeQuery(plusOne(1));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await h.db.transaction().execute(async (trx) => {
      expect((await trx.executeQuery(plusOne(2))).rows).toEqual([{ n: 3 }]);
    });
  });
});
