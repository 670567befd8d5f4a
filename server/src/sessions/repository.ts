import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Database } from '../db/connect.ts';
import type { SessionsTable } from '../db/schema.ts';
import type { Actor } from '../platform/context.ts';
import type { Ids } from '../platform/ids.ts';

export type SessionRow = Selectable<SessionsTable>;

export const sessionsRepo = {
  insert: (db: Database, row: Insertable<SessionsTable>) =>
    db.insertInto('sessions').values(row).execute(),
  byId: (db: Database, id: string) =>
    db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst(),
  /** Row lock for the length of the transaction: commands on one session run one at a time. */
  lock: (db: Database, id: string) =>
    db.selectFrom('sessions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),
  /** Compare-and-set on `version`: returns the new row, or undefined if someone else won. */
  update: (db: Database, current: SessionRow, patch: Updateable<SessionsTable>) =>
    db
      .updateTable('sessions')
      .set({ ...patch, version: current.version + 1 })
      .where('id', '=', current.id)
      .where('version', '=', current.version)
      .returningAll()
      .executeTakeFirst(),
};

export const tokensRepo = {
  insert: (
    db: Database,
    row: {
      token_hash: string;
      session_id: string;
      participant_id: string;
      role: 'client' | 'expert';
      valid_until: Date;
      created_at: Date;
    },
  ) => db.insertInto('session_tokens').values(row).execute(),
  /** A token and whether its participant is disabled. */
  byHash: (db: Database, hash: string) =>
    db
      .selectFrom('session_tokens as t')
      .innerJoin('users as u', 'u.id', 't.participant_id')
      .selectAll('t')
      .select('u.disabled_at as user_disabled_at')
      .where('t.token_hash', '=', hash)
      .executeTakeFirst(),
  revokeActive: (db: Database, sessionId: string, role: 'client' | 'expert' | null, at: Date) =>
    db
      .updateTable('session_tokens')
      .set({ revoked_at: at })
      .where('session_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .$if(role !== null, (q) => q.where('role', '=', role!))
      .executeTakeFirst(),
};

export const eventsRepo = {
  /** Every change of a session writes one row here, inside the same transaction (D10). */
  append: (
    db: Database,
    ids: Ids,
    e: { sessionId: string; at: Date; actor: Actor; kind: string; data?: Record<string, unknown> },
  ) =>
    db
      .insertInto('session_events')
      .values({
        id: ids.uuid(),
        session_id: e.sessionId,
        at: e.at,
        actor_id: e.actor.id,
        actor_role: e.actor.role,
        kind: e.kind,
        data: JSON.stringify(e.data ?? {}),
      })
      .execute(),
  list: (db: Database, sessionId: string) =>
    db
      .selectFrom('session_events')
      .selectAll()
      .where('session_id', '=', sessionId)
      .orderBy('seq')
      .execute(),
};
