import { sql } from 'kysely';
import { accounts } from '../ledger/accounts.ts';
import { balanceOf } from '../ledger/ledger.ts';
import { actorOf, isOperator, type Deps, type Principal } from '../platform/context.ts';
import { mayRead, participantRole } from '../sessions/access.ts';
import { fail } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import type { Database } from '../db/connect.ts';
import type { SessionRow } from '../sessions/repository.ts';
import { loadForUpdate, patchSession } from '../sessions/lifecycle.ts';
import { eventsRepo, sessionsRepo } from '../sessions/repository.ts';
import { refundEscrow, releaseEscrow } from './escrow.ts';

async function present(db: Database, s: SessionRow) {
  return {
    sessionId: s.id,
    state: s.escrow_state,
    held: await balanceOf(db, accounts.escrow(s.id)),
    releaseAt: s.escrow_release_at?.toISOString() ?? null,
    disputedAt: s.disputed_at?.toISOString() ?? null,
    disputeReason: s.dispute_reason,
  };
}

export async function getEscrow(deps: Deps, principal: Principal, id: string) {
  const s = (await sessionsRepo.byId(deps.db, id)) ?? fail('not_found', 'No such session.');
  if (!mayRead(principal, s)) fail('forbidden');
  return present(deps.db, s);
}

/**
 * E5: the client disputes a completed session while its escrow is still held; the release
 * sweep then passes it by until an operator resolves it.
 */
export async function openDispute(deps: Deps, principal: Principal, id: string, reason: string) {
  return inTransaction(deps, async (tx) => {
    const { db: trx, now } = tx;
    const s = await loadForUpdate(trx, id);
    if (participantRole(principal, s) !== 'client')
      fail('forbidden', "Only the session's client can dispute it.");
    if (s.escrow_state === 'disputed') return present(trx, s);
    if (s.escrow_state !== 'held' || (s.state !== 'ended' && s.state !== 'no_show'))
      fail('escrow_not_held', 'Only a completed session with escrow held can be disputed.');
    if (s.escrow_release_at && s.escrow_release_at <= now) fail('dispute_window_closed');
    const disputed = await patchSession(trx, s, {
      escrow_state: 'disputed',
      disputed_at: now,
      dispute_reason: reason,
    });
    await eventsRepo.append(trx, deps.ids, {
      sessionId: id,
      at: now,
      actor: { id: s.client_id, role: 'client' },
      kind: 'disputed',
      data: { reason },
    });
    return present(trx, disputed);
  });
}

/**
 * Operators settle held or disputed escrow. Repeating the same settlement returns it; a
 * different one after the escrow has left is `escrow_not_held`.
 */
export async function settleEscrow(
  deps: Deps,
  principal: Principal,
  id: string,
  how: { refund: number | 'all' } | 'release',
) {
  if (!isOperator(principal)) fail('forbidden');
  return inTransaction(deps, async (tx) => {
    const { db: trx, now } = tx;
    const s = await loadForUpdate(trx, id);
    const wanted =
      how === 'release'
        ? ['released']
        : how.refund === 'all'
          ? ['refunded']
          : ['settled', 'refunded'];
    if (s.escrow_state && wanted.includes(s.escrow_state) && s.escrow_release_at === null)
      return present(trx, s);
    if (s.escrow_state !== 'held' && s.escrow_state !== 'disputed')
      return fail('escrow_not_held', undefined, { state: s.escrow_state });
    const settled =
      how === 'release'
        ? await releaseEscrow(deps, tx, s)
        : await refundEscrow(deps, tx, s, {
            ...(how.refund !== 'all' && { amount: how.refund }),
            reason: 'operator_refund',
          });
    const kind = how === 'release' ? 'escrow_released' : 'escrow_refunded';
    await eventsRepo.append(trx, deps.ids, {
      sessionId: id,
      at: now,
      actor: actorOf(principal),
      kind,
      data: { from: s.escrow_state },
    });
    return present(trx, settled);
  });
}

/** Counts and sums of escrow by what became of it. */
export async function escrowStats(deps: Deps, principal: Principal) {
  if (!isOperator(principal)) fail('forbidden');
  const { rows } = await sql<{ bucket: string; count: number; sum: number }>`
    select 'held' as bucket, count(*)::int as count, coalesce(sum(a.balance), 0)::bigint as sum
      from sessions s join ledger_accounts a on a.id = 'escrow:' || s.id where s.escrow_state = 'held'
    union all
    select 'disputed', count(*)::int, coalesce(sum(a.balance), 0)::bigint
      from sessions s join ledger_accounts a on a.id = 'escrow:' || s.id where s.escrow_state = 'disputed'
    union all
    select 'released', count(distinct session_id)::int, coalesce(sum(amount), 0)::bigint from ledger_transfers where kind = 'escrow_release'
    union all
    select 'refunded', count(distinct session_id)::int, coalesce(sum(amount), 0)::bigint from ledger_transfers where kind = 'escrow_refund'`.execute(
    deps.db,
  );
  const get = (b: string) => {
    const r = rows.find((x) => x.bucket === b)!;
    return { count: r.count, sum: Number(r.sum) };
  };
  return {
    held: get('held'),
    disputed: get('disputed'),
    released: get('released'),
    refunded: get('refunded'),
    currency: deps.config.CURRENCY,
  };
}
