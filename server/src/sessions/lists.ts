import type { MySessionsQuery } from '@hourglass/protocol';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { Deps, Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { cursorId, toPage } from '../platform/pagination.ts';
import { presentSession } from './present.ts';

/**
 * B4: the signed-in user's sessions — an expert's sessions, a client's bookings — newest first,
 * by cursor; filtered by state and by time (a scheduled session's time, else when it was made).
 */
export async function listMySessions(deps: Deps, principal: Principal, q: z.output<typeof MySessionsQuery>) {
  if (principal.kind !== 'user' || principal.role === 'admin') return fail('forbidden', 'Sessions are listed for their clients and experts.');
  const column = principal.role === 'client' ? 'client_id' : 'expert_id';
  const after = cursorId(q.cursor);
  const when = sql<Date>`coalesce(scheduled_at, created_at)`;
  const rows = await deps.db.selectFrom('sessions').selectAll()
    .where(column, '=', principal.userId)
    .$if(q.state !== undefined, (b) => b.where('state', 'in', q.state!))
    .$if(q.from !== undefined, (b) => b.where(when, '>=', new Date(q.from!)))
    .$if(q.to !== undefined, (b) => b.where(when, '<', new Date(q.to!)))
    .$if(after !== undefined, (b) => b.where('id', '<', after!))
    .orderBy('id', 'desc').limit(q.limit + 1).execute();
  const now = await deps.clock.now(deps.db);
  return toPage(rows, q.limit, (r) => r.id, (r) => presentSession(r, now));
}
