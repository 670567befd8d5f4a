import type { MySessionsQuery } from '@hourglass/protocol';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { Deps, Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { cursorId, toPage } from '../platform/pagination.ts';
import { iso, presentSession } from './present.ts';
import { joinView } from './service.ts';

/**
 * B4: the signed-in user's sessions — an expert's sessions, a client's bookings — newest first,
 * by cursor; filtered by state and by time (a scheduled session's time, else when it was made).
 * Each row carries what a list shows without another call: the other side's name, the start
 * window and whether it is open, and an unanswered request's expiry.
 */
export async function listMySessions(
  deps: Deps,
  principal: Principal,
  q: z.output<typeof MySessionsQuery>,
) {
  if (principal.kind !== 'user' || principal.role === 'admin')
    return fail('forbidden', 'Sessions are listed for their clients and experts.');
  const column = principal.role === 'client' ? 'client_id' : 'expert_id';
  const after = cursorId(q.cursor);
  const when = sql<Date>`coalesce(scheduled_at, created_at)`;
  const rows = await deps.db
    .selectFrom('sessions')
    .selectAll()
    .where(column, '=', principal.userId)
    .$if(q.state !== undefined, (b) => b.where('state', 'in', q.state!))
    .$if(q.from !== undefined, (b) => b.where(when, '>=', new Date(q.from!)))
    .$if(q.to !== undefined, (b) => b.where(when, '<', new Date(q.to!)))
    .$if(after !== undefined, (b) => b.where('id', '<', after!))
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const now = await deps.clock.now(deps.db);
  const others = [
    ...new Set(rows.map((r) => (principal.role === 'client' ? r.expert_id : r.client_id))),
  ];
  const names = others.length
    ? await deps.db.selectFrom('users').select(['id', 'name']).where('id', 'in', others).execute()
    : [];
  const role = principal.role === 'client' ? 'expert' : 'client';
  return toPage(
    rows,
    q.limit,
    (r) => r.id,
    (r) => {
      const userId = role === 'expert' ? r.expert_id : r.client_id;
      return {
        ...presentSession(r, now),
        counterpart: { role, userId, name: names.find((n) => n.id === userId)?.name ?? '' },
        ...joinView(deps, r, now),
        requestExpiresAt: r.state === 'requested' ? iso(r.request_expires_at) : null,
      } as const;
    },
  );
}
