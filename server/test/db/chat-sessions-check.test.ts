import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSession } from '../../../test-support/factories.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { randomIds } from '../../src/platform/ids.ts';

/** Migration 022: a chat message names a session, checked once per statement instead of by a foreign key. */
describeOnDatabases('chat messages name sessions', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  const db = () => server.deps.db;
  const message = (sessionId: string, seq: number) =>
    sql`(${randomIds.uuid()}::uuid, ${sessionId}::uuid, ${seq}, 'client', ${`m-${seq}`}, 'hello', now())`;
  const insert = (...rows: ReturnType<typeof message>[]) =>
    sql`insert into chat_messages (id, session_id, seq, sender_role, client_msg_id, text, created_at) values ${sql.join(rows)}`.execute(
      db(),
    );
  const count = async (sessionId: string) =>
    (
      await db()
        .selectFrom('chat_messages')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('session_id', '=', sessionId)
        .executeTakeFirstOrThrow()
    ).n;
  const violation = { code: '23503' };

  it('refuses a statement whose messages name no session, and writes none of them', async () => {
    const s = await buildSession(server.deps);
    const nobody = randomIds.uuid();
    await expect(insert(message(nobody, 1))).rejects.toMatchObject(violation);
    // One good message beside a bad one: the statement is refused whole.
    await expect(insert(message(s.session.id, 1), message(nobody, 1))).rejects.toMatchObject(
      violation,
    );
    expect(Number(await count(s.session.id))).toBe(0);
    await insert(message(s.session.id, 1), message(s.session.id, 2));
    expect(Number(await count(s.session.id))).toBe(2);
  });

  it('refuses moving a message to no session', async () => {
    const s = await buildSession(server.deps);
    await insert(message(s.session.id, 1));
    await expect(
      sql`update chat_messages set session_id = ${randomIds.uuid()}::uuid where session_id = ${s.session.id}::uuid`.execute(
        db(),
      ),
    ).rejects.toMatchObject(violation);
    expect(Number(await count(s.session.id))).toBe(1);
  });

  it('keeps a session that has messages from being deleted or renumbered, with no other table’s key holding it', async () => {
    const s = await buildSession(server.deps);
    await insert(message(s.session.id, 1));
    // Other tables' foreign keys to sessions would refuse first; drop them inside a transaction
    // that is rolled back, so what refuses is this check alone.
    const alone = (statement: ReturnType<typeof sql>) =>
      db()
        .transaction()
        .execute(async (trx) => {
          const keys = await sql<{ tbl: string; name: string }>`
          select conrelid::regclass::text as tbl, conname as name from pg_constraint
          where confrelid = 'sessions'::regclass and contype = 'f'`.execute(trx);
          for (const k of keys.rows)
            await sql`alter table ${sql.raw(k.tbl)} drop constraint ${sql.id(k.name)}`.execute(trx);
          await statement.execute(trx);
          throw new Error('not refused');
        });
    await expect(
      alone(sql`delete from sessions where id = ${s.session.id}::uuid`),
    ).rejects.toMatchObject({ ...violation, message: 'the session has chat messages' });
    await expect(
      alone(
        sql`update sessions set id = ${randomIds.uuid()}::uuid where id = ${s.session.id}::uuid`,
      ),
    ).rejects.toMatchObject({ ...violation, message: 'the session has chat messages' });
    // The same, for a session without messages, goes through (and is rolled back).
    const other = await buildSession(server.deps);
    await expect(
      alone(sql`delete from sessions where id = ${other.session.id}::uuid`),
    ).rejects.toThrow('not refused');
  });
});
