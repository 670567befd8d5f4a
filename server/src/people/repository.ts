import { sql } from 'kysely';
import type { Database } from '../db/connect.ts';
import type { ExpertProfilesTable } from '../db/schema.ts';
import type { Selectable } from 'kysely';

export type UserRow = {
  id: string;
  role: 'client' | 'expert' | 'admin';
  email: string;
  name: string;
  created_at: Date;
  disabled_at: Date | null;
};
export type ExpertRow = Selectable<ExpertProfilesTable> & { name: string; live: boolean };

const userColumns = ['id', 'role', 'email', 'name', 'created_at', 'disabled_at'] as const;

export const usersRepo = {
  async insert(db: Database, row: UserRow & { password_hash: string | null }) {
    await db.insertInto('users').values(row).execute();
  },
  byId: (db: Database, id: string) =>
    db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst() as Promise<
      UserRow | undefined
    >,
  byEmailWithHash: (db: Database, email: string) =>
    db
      .selectFrom('users')
      .select([...userColumns, 'password_hash'])
      .where('email', '=', email)
      .executeTakeFirst(),
  setDisabledAt: (db: Database, id: string, at: Date | null) =>
    db.updateTable('users').set({ disabled_at: at }).where('id', '=', id).execute(),
  emailTaken: async (db: Database, email: string) =>
    (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()) !==
    undefined,
};

export const expertsRepo = {
  async insert(
    db: Database,
    userId: string,
    p: {
      bio: string;
      avatarUrl: string | null;
      categories: string[];
      rates: object;
      flatPrices: object;
    },
  ) {
    await db
      .insertInto('expert_profiles')
      .values({
        user_id: userId,
        bio: p.bio,
        avatar_url: p.avatarUrl,
        categories: JSON.stringify(p.categories),
        rates: JSON.stringify(p.rates),
        flat_prices: JSON.stringify(p.flatPrices),
      })
      .execute();
  },
  base: (db: Database) =>
    db
      .selectFrom('expert_profiles as e')
      .innerJoin('users as u', 'u.id', 'e.user_id')
      .selectAll('e')
      .select('u.name')
      // An expert in a live session is busy, whatever they set (C1).
      .select(
        sql<boolean>`exists (select 1 from sessions s where s.expert_id = e.user_id and s.state = 'live')`.as(
          'live',
        ),
      ),
  byId: (db: Database, id: string) =>
    expertsRepo.base(db).where('e.user_id', '=', id).executeTakeFirst() as Promise<
      ExpertRow | undefined
    >,
  page: (db: Database, limit: number, after: string | undefined, onlineOnly = false) =>
    expertsRepo
      .base(db)
      .$if(after !== undefined, (q) => q.where('e.user_id', '>', after!))
      .$if(onlineOnly, (q) =>
        q
          .where('e.presence', '=', 'online')
          .where(
            sql<boolean>`not exists (select 1 from sessions s where s.expert_id = e.user_id and s.state = 'live')`,
          ),
      )
      .orderBy('e.user_id')
      .limit(limit + 1)
      .execute() as Promise<ExpertRow[]>,
  async update(
    db: Database,
    id: string,
    patch: Partial<
      Record<'bio' | 'avatar_url' | 'categories' | 'rates' | 'flat_prices' | 'presence', unknown>
    >,
  ) {
    if (Object.keys(patch).length === 0) return;
    await db
      .updateTable('expert_profiles')
      .set(patch as never)
      .where('user_id', '=', id)
      .execute();
  },
};

export const authSessionsRepo = {
  insert: (
    db: Database,
    row: {
      id_hash: string;
      user_id: string;
      csrf_hash: string;
      created_at: Date;
      expires_at: Date;
    },
  ) => db.insertInto('auth_sessions').values(row).execute(),
  find: (db: Database, idHash: string, now: Date) =>
    db
      .selectFrom('auth_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['s.id_hash', 's.csrf_hash', 'u.id as user_id', 'u.role'])
      .where('s.id_hash', '=', idHash)
      .where('s.expires_at', '>', now)
      .executeTakeFirst(),
  delete: (db: Database, idHash: string) =>
    db.deleteFrom('auth_sessions').where('id_hash', '=', idHash).execute(),
  deleteAllOf: (db: Database, userId: string) =>
    db.deleteFrom('auth_sessions').where('user_id', '=', userId).execute(),
};

export const loginFailuresRepo = {
  get: (db: Database, key: string) =>
    db.selectFrom('login_failures').selectAll().where('key', '=', key).executeTakeFirst(),
  /** One statement, so concurrent failures all count: a new window starts when the old one is over. */
  async record(db: Database, key: string, now: Date, windowStartedAfter: Date) {
    await sql`insert into login_failures (key, failures, window_started_at) values (${key}, 1, ${now})
      on conflict (key) do update set
        failures = case when login_failures.window_started_at <= ${windowStartedAfter} then 1 else login_failures.failures + 1 end,
        window_started_at = case when login_failures.window_started_at <= ${windowStartedAfter} then ${now} else login_failures.window_started_at end`.execute(
      db,
    );
  },
  clear: (db: Database, key: string) =>
    db.deleteFrom('login_failures').where('key', '=', key).execute(),
};

export const apiKeysRepo = {
  insert: (
    db: Database,
    row: {
      id: string;
      name: string;
      prefix: string;
      key_hash: string;
      created_by: string | null;
      created_at: Date;
    },
  ) => db.insertInto('api_keys').values(row).execute(),
  activeByHash: (db: Database, hash: string) =>
    db
      .selectFrom('api_keys')
      .select('id')
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst(),
  page: (db: Database, limit: number, after: string | undefined) =>
    db
      .selectFrom('api_keys')
      .select(['id', 'name', 'prefix', 'created_at', 'revoked_at'])
      .$if(after !== undefined, (q) => q.where('id', '>', after!))
      .orderBy('id')
      .limit(limit + 1)
      .execute(),
  revoke: (db: Database, id: string, at: Date) =>
    db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst(),
  exists: async (db: Database, id: string) =>
    (await db.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst()) !==
    undefined,
};
