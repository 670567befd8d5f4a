import type { SessionState } from '@hourglass/protocol';
import { sql } from 'kysely';
import { isOperator, type Deps, type Principal } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { cursorId, toPage } from '../platform/pagination.ts';
import { iso } from '../sessions/present.ts';

/** G7: read-only views for operators. What they change goes through the services (escrow release and refund, tokens, no-shows). */
const operatorOnly = (p: Principal) => {
  if (!isOperator(p)) fail('forbidden');
};

const people = (deps: Deps) =>
  deps.db
    .selectFrom('sessions as s')
    .innerJoin('users as c', 'c.id', 's.client_id')
    .innerJoin('users as e', 'e.id', 's.expert_id');

/** Sessions in one state (default: live now), with both people and the per-minute charges so far. */
export async function adminSessions(
  deps: Deps,
  principal: Principal,
  q: { limit: number; cursor?: string; state: SessionState },
) {
  operatorOnly(principal);
  const after = cursorId(q.cursor);
  let query = people(deps)
    .selectAll('s')
    .select(['c.name as client_name', 'e.name as expert_name'])
    .select(
      sql<string>`(select coalesce(sum(t.amount), 0) from ledger_transfers t where t.session_id = s.id and t.kind = 'charge')`.as(
        'charged',
      ),
    )
    .where('s.state', '=', q.state);
  if (after) query = query.where('s.id', '<', after);
  const rows = await query
    .orderBy('s.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return toPage(
    rows,
    q.limit,
    (r) => r.id,
    (r) => ({
      id: r.id,
      kind: r.kind,
      type: r.type,
      state: r.state,
      endReason: r.end_reason,
      client: { id: r.client_id, name: r.client_name },
      expert: { id: r.expert_id, name: r.expert_name },
      scheduledAt: iso(r.scheduled_at),
      startedAt: iso(r.started_at),
      endsAt: iso(r.ends_at),
      paidUntil: iso(r.paid_until),
      pausedAt: iso(r.paused_at),
      endedAt: iso(r.ended_at),
      ratePerMinute: r.rate_per_minute,
      price: r.price === null ? null : Number(r.price),
      charged: Number(r.charged),
      escrowState: r.escrow_state,
    }),
  );
}

/** Escrows in one state: held ones with when the sweep releases them, disputed ones with the client's reason. */
export async function adminEscrow(
  deps: Deps,
  principal: Principal,
  q: {
    limit: number;
    cursor?: string;
    state: 'held' | 'disputed' | 'released' | 'refunded' | 'settled';
  },
) {
  operatorOnly(principal);
  const after = cursorId(q.cursor);
  let query = people(deps)
    .leftJoin('ledger_accounts as a', (j) => j.on('a.id', '=', sql<string>`'escrow:' || s.id`))
    .select([
      's.id',
      's.escrow_state',
      's.price',
      's.ended_at',
      's.escrow_release_at',
      's.disputed_at',
      's.dispute_reason',
      's.client_id',
      's.expert_id',
      'c.name as client_name',
      'e.name as expert_name',
    ])
    .select(sql<string>`coalesce(a.balance, 0)`.as('held'))
    .where('s.escrow_state', '=', q.state);
  if (after) query = query.where('s.id', '<', after);
  const rows = await query
    .orderBy('s.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return toPage(
    rows,
    q.limit,
    (r) => r.id,
    (r) => ({
      sessionId: r.id,
      state: r.escrow_state!,
      client: { id: r.client_id, name: r.client_name },
      expert: { id: r.expert_id, name: r.expert_name },
      price: Number(r.price ?? 0),
      held: Number(r.held),
      endedAt: iso(r.ended_at),
      releaseAt: iso(r.escrow_release_at),
      disputedAt: iso(r.disputed_at),
      disputeReason: r.dispute_reason,
    }),
  );
}

interface RefundRow {
  id: string;
  session_id: string | null;
  client_id: string;
  client_name: string;
  amount: string | number;
  to: 'wallet' | 'card';
  state: 'done' | 'pending' | 'failed';
  reason: string;
  last_error: string | null;
  at: Date;
}

/** A refunds page ends at (time, id) of its last row: two tables feed the list, so no one id orders it. */
const RefundCursor = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|(.{1,150})$/;

/**
 * Refunds, newest first: escrow returned to a client's wallet (a cancellation, an expert's
 * no-show, an operator's decision), and money returned to a card through the provider, with
 * where that stands.
 */
export async function adminRefunds(
  deps: Deps,
  principal: Principal,
  q: { limit: number; cursor?: string },
) {
  operatorOnly(principal);
  const cursor = q.cursor === undefined ? null : RefundCursor.exec(q.cursor);
  if (q.cursor !== undefined && !cursor)
    throw new AppError('validation_failed', 'Invalid cursor', {
      issues: [{ path: 'query.cursor', message: 'not a cursor' }],
    });
  const before = cursor
    ? sql`where (x.at, x.id) < (${new Date(cursor[1]!)}, ${cursor[2]!})`
    : sql``;
  const { rows } = await sql<RefundRow>`
    select x.*, u.name as client_name from (
      select t.id, t.session_id, s.client_id, t.amount, 'wallet' as "to", 'done' as state,
             case when s.disputed_at is not null then 'dispute' when s.state = 'no_show' then 'expert_no_show' else s.state end as reason,
             null as last_error, t.created_at as at
        from ledger_transfers t join sessions s on s.id = t.session_id where t.kind = 'escrow_refund'
      union all
      select r.id, r.session_id, r.user_id, r.amount, 'card', case r.state when 'succeeded' then 'done' else r.state end,
             r.reason, r.last_error, r.created_at
        from provider_refunds r
    ) x join users u on u.id = x.client_id
    ${before}
    order by x.at desc, x.id desc limit ${q.limit + 1}`.execute(deps.db);
  const items = rows.slice(0, q.limit);
  const last = items.at(-1);
  return {
    items: items.map((r) => ({
      id: r.id,
      sessionId: r.session_id,
      client: { id: r.client_id, name: r.client_name },
      amount: Number(r.amount),
      to: r.to,
      state: r.state,
      reason: r.reason,
      lastError: r.last_error,
      at: new Date(r.at).toISOString(),
    })),
    nextCursor:
      rows.length > q.limit && last ? `${new Date(last.at).toISOString()}|${last.id}` : null,
  };
}
