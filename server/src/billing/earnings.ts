import { sql } from 'kysely';
import { accounts } from '../ledger/accounts.ts';
import { balanceOf, hold, resolve, type Transfer } from '../ledger/ledger.ts';
import { isOperator, type Deps, type Principal } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { cursorId } from '../platform/pagination.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';

function expertOf(principal: Principal): string {
  if (principal.kind !== 'user' || principal.role !== 'expert')
    return fail('forbidden', 'Only experts have earnings.');
  return principal.userId;
}

const GROSS_KINDS = ['charge', 'escrow_release'];
const FEE_KINDS = ['charge_fee', 'escrow_release_fee'];

/** E7: what an expert has earned, paid in fees, been paid out, and can still be paid. */
export async function earnings(deps: Deps, principal: Principal) {
  const expertId = expertOf(principal);
  const account = accounts.earnings(expertId);
  const { rows } = await sql<{ gross: number; fees: number; paid: number; pending: number }>`select
      coalesce(sum(amount) filter (where credit_account = ${account} and kind in (${sql.join(GROSS_KINDS)})), 0)::bigint as gross,
      coalesce(sum(amount) filter (where debit_account = ${account} and kind in (${sql.join(FEE_KINDS)})), 0)::bigint as fees,
      coalesce(sum(amount) filter (where credit_account = ${accounts.payouts(expertId)} and kind = 'post'), 0)::bigint as paid,
      coalesce(sum(amount) filter (where debit_account = ${account} and pending
        and not exists (select 1 from ledger_transfers r where r.resolves = ledger_transfers.id)), 0)::bigint as pending
    from ledger_transfers where debit_account = ${account} or credit_account = ${account} or credit_account = ${accounts.payouts(expertId)}`.execute(
    deps.db,
  );
  const r = rows[0]!;
  const [gross, fees, paidOut, payoutsPending] = [
    Number(r.gross),
    Number(r.fees),
    Number(r.paid),
    Number(r.pending),
  ];
  return {
    expertId,
    currency: deps.config.CURRENCY,
    gross,
    fees,
    net: gross - fees,
    paidOut,
    payoutsPending,
    available: await balanceOf(deps.db, account),
    serverNow: (await deps.clock.now(deps.db)).toISOString(),
  };
}

/** Per session, newest session first; `cursor` is the last session id of the previous page. */
export async function earningsBySession(
  deps: Deps,
  principal: Principal,
  q: { limit: number; cursor?: string | undefined },
) {
  const expertId = expertOf(principal);
  const account = accounts.earnings(expertId);
  const after = cursorId(q.cursor);
  const { rows } = await sql<{ session_id: string; gross: number; fees: number; at: Date }>`
    select session_id,
      coalesce(sum(amount) filter (where credit_account = ${account}), 0)::bigint as gross,
      coalesce(sum(amount) filter (where debit_account = ${account}), 0)::bigint as fees,
      max(created_at) as at
    from ledger_transfers
    where session_id is not null and (credit_account = ${account} or debit_account = ${account})
      and kind in (${sql.join([...GROSS_KINDS, ...FEE_KINDS])}) ${after ? sql`and session_id < ${after}` : sql``}
    group by session_id order by session_id desc limit ${q.limit + 1}`.execute(deps.db);
  const items = rows.slice(0, q.limit).map((r) => ({
    sessionId: r.session_id,
    gross: Number(r.gross),
    fees: Number(r.fees),
    net: Number(r.gross) - Number(r.fees),
    at: new Date(r.at).toISOString(),
  }));
  return { items, nextCursor: rows.length > q.limit ? items.at(-1)!.sessionId : null };
}

function presentPayout(t: Transfer, resolution: string | undefined) {
  const expertId = t.debit_account.slice('earnings:'.length);
  const status =
    resolution === undefined ? 'pending' : resolution.endsWith(':post') ? 'paid' : 'failed';
  return {
    id: t.id,
    expertId,
    amount: Number(t.amount),
    status: status as 'pending' | 'paid' | 'failed',
    createdAt: t.created_at.toISOString(),
  };
}

/** Starts a payout inside the caller's transaction: checks what is available, then holds it. */
export async function startPayout(
  deps: Deps,
  tx: Pick<Tx, 'db' | 'now'>,
  payout: { expertId: string; amount: number; key: string },
) {
  const { db: trx, now } = tx;
  const { expertId, amount, key } = payout;
  const id = `payout:${expertId}:${key}`;
  // Payouts of one expert queue on this lock: earnings are derived, so there is no balance row to lock.
  await sql`select pg_advisory_xact_lock(hashtext(${accounts.earnings(expertId)}))`.execute(trx);
  const existing = await trx
    .selectFrom('ledger_transfers')
    .select('id')
    .where('id', '=', id)
    .executeTakeFirst();
  const available = await balanceOf(trx, accounts.earnings(expertId));
  if (!existing && available < amount)
    throw new AppError('insufficient_funds', undefined, { available, needed: amount });
  const { transfer } = await hold(trx, now, deps.config.CURRENCY, {
    id,
    debit: accounts.earnings(expertId),
    credit: accounts.payouts(expertId),
    amount,
    kind: 'payout',
  });
  return presentPayout(transfer, undefined);
}

/**
 * E7: a payout is a pending transfer from the expert's earnings to their payouts account,
 * posted when the money has arrived, voided (earnings return) when it failed: once (L4).
 */
export async function createPayout(
  deps: Deps,
  principal: Principal,
  payout: { expertId: string; amount: number; key: string | undefined },
) {
  const { expertId, amount, key } = payout;
  if (!isOperator(principal)) fail('forbidden');
  const expert = await deps.db
    .selectFrom('users')
    .select('role')
    .where('id', '=', expertId)
    .executeTakeFirst();
  if (expert?.role !== 'expert')
    fail('validation_failed', 'Not an expert.', {
      issues: [{ path: 'body.expertId', message: 'not an expert' }],
    });
  return inTransaction(deps, (tx) =>
    startPayout(deps, tx, { expertId, amount, key: key ?? deps.ids.uuid() }),
  );
}

export async function finishPayout(
  deps: Deps,
  principal: Principal,
  payoutId: string,
  how: 'post' | 'void',
) {
  if (!isOperator(principal)) fail('forbidden');
  return inTransaction(deps, async ({ db: trx, now }) => {
    const { transfer } = await resolve(trx, now, payoutId, how);
    const pending = (await trx
      .selectFrom('ledger_transfers')
      .selectAll()
      .where('id', '=', payoutId)
      .executeTakeFirstOrThrow()) as Transfer;
    return presentPayout(pending, transfer.id);
  });
}
