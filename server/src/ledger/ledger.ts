import { sql, type Selectable } from 'kysely';
import type { LedgerTransfersTable } from '../db/schema.ts';
import type { Database } from '../db/connect.ts';
import { AppError, fail } from '../platform/errors.ts';
import { accounts, isTracked, parseAccount } from './accounts.ts';

export interface TransferInput {
  /** The idempotency key: the same id twice is one movement. */
  id: string;
  debit: string;
  credit: string;
  amount: number;
  kind: string;
  sessionId?: string | null;
}

export type Transfer = Selectable<LedgerTransfersTable>;

export interface Posted {
  transfer: Transfer;
  /** False when the id had been used already with the same body: nothing moved this time. */
  created: boolean;
}

const sameBody = (t: Transfer, i: TransferInput, pending: boolean) =>
  t.debit_account === i.debit &&
  t.credit_account === (pending ? accounts.inFlight : i.credit) &&
  Number(t.amount) === i.amount &&
  t.kind === i.kind &&
  (t.session_id ?? null) === (i.sessionId ?? null) &&
  t.pending === pending &&
  (t.post_to ?? null) === (pending ? i.credit : null);

export async function ensureAccounts(trx: Database, ids: string[], currency: string, now: Date) {
  const rows = ids.map((id) => {
    const { kind, ownerId } = parseAccount(id);
    return { id, kind, owner_id: ownerId, currency, created_at: now };
  });
  await trx
    .insertInto('ledger_accounts')
    .values(rows)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/**
 * Locks the tracked (wallet, escrow) accounts a movement touches, in id order so two transfers
 * never wait on each other in a cycle, and checks the debit side covers the amount. Nothing
 * has been written when this refuses, so a caller may catch `insufficient_funds` and go on.
 */
async function lockAndCheck(trx: Database, debit: string, credit: string, amount: number) {
  const tracked = [debit, credit].filter((id) => isTracked(parseAccount(id).kind)).sort();
  if (tracked.length === 0) return;
  const rows = await trx
    .selectFrom('ledger_accounts')
    .select(['id', 'balance'])
    .where('id', 'in', tracked)
    .orderBy('id')
    .forUpdate()
    .execute();
  const from = rows.find((r) => r.id === debit);
  if (from && Number(from.balance) < amount) {
    throw new AppError('insufficient_funds', undefined, {
      account: parseAccount(debit).kind,
      balance: Number(from.balance),
      needed: amount,
    });
  }
}

/** Moves the kept balances; the CHECK (balance >= 0) on the row stands behind lockAndCheck (L2). */
async function applyBalances(trx: Database, debit: string, credit: string, amount: number) {
  for (const [id, delta] of [
    [debit, -amount],
    [credit, amount],
  ] as const) {
    if (isTracked(parseAccount(id).kind))
      await sql`update ledger_accounts set balance = balance + ${delta} where id = ${id}`.execute(
        trx,
      );
  }
}

async function insert(trx: Database, row: Omit<Transfer, 'seq'>): Promise<Transfer | undefined> {
  return (await trx
    .insertInto('ledger_transfers')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst()) as Transfer | undefined;
}

const find = async (trx: Database, id: string) =>
  (await trx.selectFrom('ledger_transfers').selectAll().where('id', '=', id).executeTakeFirst()) as
    Transfer | undefined;

function check(i: TransferInput) {
  if (!Number.isSafeInteger(i.amount) || i.amount <= 0)
    fail('validation_failed', 'Amounts are positive whole minor units.');
  if (i.debit === i.credit) throw new Error(`transfer ${i.id} debits and credits ${i.debit}`);
}

/** The one write path: replay check, lock and check, insert, move balances. */
async function move(
  trx: Database,
  now: Date,
  currency: string,
  i: TransferInput & { pending: boolean },
): Promise<Posted> {
  const { pending } = i;
  check(i);
  const replay = (t: Transfer): Posted =>
    sameBody(t, i, pending)
      ? { transfer: t, created: false }
      : fail('idempotency_conflict', undefined, { id: i.id });
  const before = await find(trx, i.id);
  if (before) return replay(before);
  const credit = pending ? accounts.inFlight : i.credit;
  await ensureAccounts(trx, [...new Set([i.debit, credit, i.credit])], currency, now);
  await lockAndCheck(trx, i.debit, credit, i.amount);
  const row = await insert(trx, {
    id: i.id,
    debit_account: i.debit,
    credit_account: credit,
    amount: i.amount,
    kind: i.kind,
    session_id: i.sessionId ?? null,
    pending,
    post_to: pending ? i.credit : null,
    resolves: null,
    created_at: now,
  });
  // Someone committed the same id between our look and our insert: theirs is the movement.
  if (!row) return replay((await find(trx, i.id))!);
  await applyBalances(trx, i.debit, credit, i.amount);
  return { transfer: row, created: true };
}

/**
 * Moves `amount` from `debit` to `credit`, once. Run inside the caller's transaction: if the
 * caller fails later, the movement never happened. The same id with the same body returns the
 * original transfer and moves nothing; with a different body it is `idempotency_conflict`.
 * Concurrent calls with one id: the unique key makes the second wait for the first, then see it.
 */
export const transfer = (trx: Database, now: Date, currency: string, i: TransferInput) =>
  move(trx, now, currency, { ...i, pending: false });

/** A pending transfer: the amount leaves `debit` now and reaches `credit` only when posted. */
export const hold = (trx: Database, now: Date, currency: string, i: TransferInput) =>
  move(trx, now, currency, { ...i, pending: true });

/**
 * Posts (to `post_to`) or voids (back to the debit account) a pending transfer: exactly once
 * (L4). Repeating the same resolution returns it; the other one is `already_resolved`.
 */
export async function resolve(
  trx: Database,
  now: Date,
  pendingId: string,
  how: 'post' | 'void',
): Promise<Posted> {
  const p = (await trx
    .selectFrom('ledger_transfers')
    .selectAll()
    .where('id', '=', pendingId)
    .forUpdate()
    .executeTakeFirst()) as Transfer | undefined;
  if (!p || !p.pending) return fail('not_found', 'No such pending transfer.');
  const id = `${pendingId}:${how}`;
  const done = (await trx
    .selectFrom('ledger_transfers')
    .selectAll()
    .where('resolves', '=', pendingId)
    .executeTakeFirst()) as Transfer | undefined;
  if (done)
    return done.id === id
      ? { transfer: done, created: false }
      : fail('already_resolved', undefined, { resolvedBy: done.id });
  const target = how === 'post' ? p.post_to! : p.debit_account;
  const amount = Number(p.amount);
  await lockAndCheck(trx, accounts.inFlight, target, amount);
  const row = (await insert(trx, {
    id,
    debit_account: accounts.inFlight,
    credit_account: target,
    amount,
    kind: how,
    session_id: p.session_id,
    pending: false,
    post_to: null,
    resolves: pendingId,
    created_at: now,
  }))!;
  await applyBalances(trx, accounts.inFlight, target, amount);
  return { transfer: row, created: true };
}

/** Balance of any account: the kept row for wallets and escrows, the sum of transfers otherwise. */
export async function balanceOf(db: Database, account: string): Promise<number> {
  if (isTracked(parseAccount(account).kind)) {
    const row = await db
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('id', '=', account)
      .executeTakeFirst();
    return Number(row?.balance ?? 0);
  }
  const { rows } = await sql<{ b: number }>`select
      coalesce((select sum(amount) from ledger_transfers where credit_account = ${account}), 0)
    - coalesce((select sum(amount) from ledger_transfers where debit_account = ${account}), 0) as b`.execute(
    db,
  );
  return Number(rows[0]!.b);
}
