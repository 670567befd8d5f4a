import type { Notification, NotificationKind } from '@hourglass/protocol';
import type { Database } from '../db/connect.ts';
import type { Deps, Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import type { StoredNotification } from '../platform/events.ts';
import { cursorId, toPage } from '../platform/pagination.ts';

type Row = Pick<StoredNotification, 'id' | 'kind' | 'sessionId' | 'data'> & {
  createdAt: Date | string;
  readAt: Date | string | null;
};

const userOf = (p: Principal) =>
  p.kind === 'user' ? p.userId : fail('forbidden', 'Notifications belong to a signed-in user.');
const isoOf = (d: Date | string) => new Date(d).toISOString();

/**
 * Notifications as the wire shows them: with the other participant's name for a session's,
 * read now (a name may have changed since), in one query for the whole list.
 */
export async function presentNotifications(
  db: Database,
  userId: string,
  rows: Row[],
): Promise<Notification[]> {
  const sessionIds = [...new Set(rows.flatMap((r) => (r.sessionId ? [r.sessionId] : [])))];
  const names =
    sessionIds.length === 0
      ? []
      : await db
          .selectFrom('sessions as s')
          .innerJoin('users as c', 'c.id', 's.client_id')
          .innerJoin('users as e', 'e.id', 's.expert_id')
          .select(['s.id', 's.client_id', 'c.name as client_name', 'e.name as expert_name'])
          .where('s.id', 'in', sessionIds)
          .execute();
  const counterpart = new Map(
    names.map((n) => [n.id, n.client_id === userId ? n.expert_name : n.client_name]),
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind as NotificationKind,
    sessionId: r.sessionId,
    counterpartName: (r.sessionId && counterpart.get(r.sessionId)) ?? null,
    data: r.data,
    createdAt: isoOf(r.createdAt),
    readAt: r.readAt === null ? null : isoOf(r.readAt),
  }));
}

const unreadCount = async (db: Database, userId: string) =>
  Number(
    (
      await db
        .selectFrom('notifications')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('user_id', '=', userId)
        .where('read_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** F1: my notifications, newest first, by cursor; the unread count beside them. */
export async function listNotifications(
  deps: Deps,
  principal: Principal,
  q: { limit: number; cursor?: string; unread?: boolean },
) {
  const userId = userOf(principal);
  const after = cursorId(q.cursor);
  let query = deps.db.selectFrom('notifications').selectAll().where('user_id', '=', userId);
  if (q.unread) query = query.where('read_at', 'is', null);
  if (after) query = query.where('id', '<', after);
  const [rows, unread] = await Promise.all([
    query
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute(),
    unreadCount(deps.db, userId),
  ]);
  const page = toPage(
    rows,
    q.limit,
    (r) => r.id,
    (r) => ({
      id: r.id,
      kind: r.kind,
      sessionId: r.session_id,
      data: r.data,
      createdAt: r.created_at,
      readAt: r.read_at,
    }),
  );
  return {
    items: await presentNotifications(deps.db, userId, page.items),
    nextCursor: page.nextCursor,
    unreadCount: unread,
  };
}

/** Marks the caller's own notifications read (ids of anyone else's match nothing). Read stays read: the first time is kept. */
export async function markRead(
  deps: Deps,
  principal: Principal,
  body: { ids: string[] } | { all: true },
) {
  const userId = userOf(principal);
  const now = await deps.clock.now(deps.db);
  let update = deps.db
    .updateTable('notifications')
    .set({ read_at: now })
    .where('user_id', '=', userId)
    .where('read_at', 'is', null);
  if ('ids' in body) update = update.where('id', 'in', body.ids);
  await update.execute();
  return { unreadCount: await unreadCount(deps.db, userId) };
}
