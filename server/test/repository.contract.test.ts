import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOnDatabases } from '../../test-support/databases.ts';
import type { DatabaseHandle } from '../src/db/connect.ts';
import { loadMigrations, migrate } from '../src/db/migrate.ts';
import { randomIds } from '../src/platform/ids.ts';
import { sessionsRepo, tokensRepo } from '../src/sessions/repository.ts';

const ids = randomIds;
const at = new Date('2026-03-02T12:00:00Z');

async function user(db: DatabaseHandle['db'], role: 'client' | 'expert' = 'client') {
  const id = ids.uuid();
  await db
    .insertInto('users')
    .values({ id, role, email: `${id}@t.t`, name: 'x', password_hash: null, created_at: at })
    .execute();
  return id;
}

async function session(db: DatabaseHandle['db'], patch: Record<string, unknown> = {}) {
  const row = {
    id: ids.uuid(),
    kind: 'on_demand' as const,
    type: 'chat' as const,
    state: 'accepted' as const,
    end_reason: null,
    client_id: await user(db),
    expert_id: await user(db, 'expert'),
    rate_per_minute: 100,
    price: null,
    duration_minutes: null,
    scheduled_at: null,
    started_at: null,
    ends_at: null,
    paid_until: null,
    ended_at: null,
    client_joined_at: null,
    expert_joined_at: null,
    notes: null,
    created_at: at,
    ...patch,
  };
  await sessionsRepo.insert(db, row);
  return (await sessionsRepo.byId(db, row.id))!;
}

const rejects = async (p: Promise<unknown>, sqlState: string) =>
  expect(p).rejects.toMatchObject({ code: sqlState });

describeOnDatabases('repository contract', (target) => {
  let h: DatabaseHandle;
  beforeAll(async () => {
    h = await target.open();
  });
  afterAll(() => h?.close());

  it('G1: every migration is applied once, and applying again changes nothing', async () => {
    const { rows } = await sql<{
      name: string;
    }>`select name from schema_migrations order by version`.execute(h.db);
    expect(rows.map((r) => r.name)).toEqual(loadMigrations().map((m) => m.name));
    expect(await migrate(h.db)).toEqual([]);
  });

  it('two concurrent migrators apply nothing twice', async () => {
    const results = await Promise.all([migrate(h.db), migrate(h.db)]);
    expect(results.flat()).toEqual([]);
  });

  it('emails are unique and stored lower-case', async () => {
    const id = await user(h.db);
    const email = (
      await h.db.selectFrom('users').select('email').where('id', '=', id).executeTakeFirstOrThrow()
    ).email;
    await rejects(
      h.db
        .insertInto('users')
        .values({
          id: ids.uuid(),
          role: 'client',
          email,
          name: 'y',
          password_hash: null,
          created_at: at,
        })
        .execute(),
      '23505',
    );
    await rejects(
      h.db
        .insertInto('users')
        .values({
          id: ids.uuid(),
          role: 'client',
          email: 'UP@t.t',
          name: 'y',
          password_hash: null,
          created_at: at,
        })
        .execute(),
      '23514',
    );
    await rejects(
      h.db
        .insertInto('users')
        .values({
          id: ids.uuid(),
          role: 'root' as never,
          email: 'r@t.t',
          name: 'y',
          password_hash: null,
          created_at: at,
        })
        .execute(),
      '23514',
    );
  });

  it('the database refuses impossible sessions (states, kinds, self-sessions, ended without reason)', async () => {
    await rejects(session(h.db, { state: 'flying' }), '23514');
    await rejects(session(h.db, { type: 'hologram' }), '23514');
    await rejects(session(h.db, { kind: 'scheduled' }), '23514');
    await rejects(session(h.db, { state: 'ended' }), '23514');
    await rejects(session(h.db, { duration_minutes: 20 }), '23514');
    const u = await user(h.db);
    await rejects(session(h.db, { client_id: u, expert_id: u }), '23514');
  });

  it('compare-and-set: a stale version updates nothing', async () => {
    const s = await session(h.db);
    const first = await sessionsRepo.update(h.db, s, { notes: 'a' });
    expect(first?.version).toBe(s.version + 1);
    expect(await sessionsRepo.update(h.db, s, { notes: 'b' })).toBeUndefined();
    expect((await sessionsRepo.byId(h.db, s.id))?.notes).toBe('a');
  });

  it('FOR UPDATE serialises two transactions on one session', async () => {
    const s = await session(h.db);
    const order: string[] = [];
    const bump = (name: string) =>
      h.db.transaction().execute(async (trx) => {
        const row = (await sessionsRepo.lock(trx, s.id))!;
        order.push(`${name}:read:${row.version}`);
        await sessionsRepo.update(trx, row, { notes: name });
        order.push(`${name}:wrote`);
      });
    await Promise.all([bump('a'), bump('b')]);
    // Whoever went second saw the first one's write.
    expect(order.filter((o) => o.includes(':read:')).map((o) => o.split(':')[2])).toEqual([
      String(s.version),
      String(s.version + 1),
    ]);
    expect((await sessionsRepo.byId(h.db, s.id))?.version).toBe(s.version + 2);
  });

  it('A3: at most one active token per participant role and session', async () => {
    const s = await session(h.db);
    const token = (role: 'client' | 'expert') => ({
      token_hash: ids.secret('h'),
      session_id: s.id,
      participant_id: role === 'client' ? s.client_id : s.expert_id,
      role,
      valid_until: at,
      created_at: at,
    });
    await tokensRepo.insert(h.db, token('client'));
    await tokensRepo.insert(h.db, token('expert'));
    await rejects(tokensRepo.insert(h.db, token('client')), '23505');
    await tokensRepo.revokeActive(h.db, s.id, 'client', at);
    await tokensRepo.insert(h.db, token('client'));
  });

  it('a failed transaction leaves nothing behind', async () => {
    const before = await h.db
      .selectFrom('users')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    await expect(
      h.db.transaction().execute(async (trx) => {
        await user(trx);
        await user(trx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const after = await h.db
      .selectFrom('users')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('SKIP LOCKED passes over a locked row (what the sweeps will rely on)', async () => {
    const s = await session(h.db);
    if (target.name === 'pglite') {
      // One connection: a second transaction cannot run alongside the first at all.
      const rows = await h.db
        .selectFrom('sessions')
        .select('id')
        .where('id', '=', s.id)
        .forUpdate()
        .skipLocked()
        .execute();
      expect(rows).toHaveLength(1);
      return;
    }
    await h.db.transaction().execute(async (a) => {
      await sessionsRepo.lock(a, s.id);
      const seen = await h.db
        .selectFrom('sessions')
        .select('id')
        .where('id', '=', s.id)
        .forUpdate()
        .skipLocked()
        .execute();
      expect(seen).toHaveLength(0);
    });
  });
});

describe('migrations on disk', () => {
  it('are numbered without gaps from 001', () => {
    expect(loadMigrations().map((m) => m.version)).toEqual(loadMigrations().map((_, i) => i + 1));
  });
});
