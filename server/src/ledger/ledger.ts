import { sql } from 'kysely';
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

export interface Transfer {
  seq: number;
  id: string;
  debit_account: string;
  credit_account: string;
  amount: number;
  kind: string;
  session_id: string | null;
  pending: boolean;
  post_to: string | null;
  resolves: string | null;
  created_at: Date;
}

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

async function ensureAccounts(trx: Database, ids: string[], currency: string, now: Date) {
  const rows = ids.map((id) => {
    const { kind, ownerId } = parseAccount(id);
    return { id, kind, owner_id: ownerId, currency, created_at: now };
  });
  await trx.insertInto('ledger_accounts').values(rows).onConflict((oc) => oc.column('id').doNothing()).execute();
}

/**
 * Applies a movement to the balance rows of tracked accounts. Debits go first and only where
 * the balance covers them: the database's CHECK (balance >= 0) stands behind this (L2).
 * Rows are touched in id order so that two transfers never wait on each other in a cycle.
 */
async function applyBalances(trx: Database, debit: string, credit: string, amount: number) {
  const moves = [
    { id: debit, delta: -amount },
    { id: credit, delta: amount },
  ]
    .filter((m) => isTracked(parseAccount(m.id).kind))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const m of moves) {
    const r = await sql<{ balance: number }>`update ledger_accounts set balance = balance + ${m.delta}
      where id = ${m.id} and balance + ${m.delta} >= 0 returning balance`.execute(trx);
    if (r.rows.length === 0) throw new AppError('insufficient_funds', undefined, { account: m.id.split(':')[0], needed: amount });
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

async function existing(trx: Database, id: string): Promise<Transfer> {
  return (await trx.selectFrom('ledger_transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as Transfer;
}

function check(i: TransferInput) {
  if (!Number.isSafeInteger(i.amount) || i.amount <= 0) fail('validation_failed', 'Amounts are positive whole minor units.');
  if (i.debit === i.credit) throw new Error(`transfer ${i.id} debits and credits ${i.debit}`);
}

/**
 * Moves `amount` from `debit` to `credit`, once. Run inside the caller's transaction: if the
 * caller fails later, the movement never happened. The same id with the same body returns the
 * original transfer and moves nothing; with a different body it is `idempotency_conflict`.
 * Concurrent calls with one id: the unique key makes the second wait for the first, then see it.
 */
export async function transfer(trx: Database, now: Date, currency: string, i: TransferInput): Promise<Posted> {
  check(i);
  await ensureAccounts(trx, [i.debit, i.credit], currency, now);
  const row = await insert(trx, {
    id: i.id, debit_account: i.debit, credit_account: i.credit, amount: i.amount, kind: i.kind,
    session_id: i.sessionId ?? null, pending: false, post_to: null, resolves: null, created_at: now,
  });
  if (!row) {
    const t = await existing(trx, i.id);
    if (!sameBody(t, i, false)) fail('idempotency_conflict', undefined, { id: i.id });
    return { transfer: t, created: false };
  }
  await applyBalances(trx, i.debit, i.credit, i.amount);
  return { transfer: row, created: true };
}

/** A pending transfer: the amount leaves `debit` now and reaches `credit` only when posted. */
export async function hold(trx: Database, now: Date, currency: string, i: TransferInput): Promise<Posted> {
  check(i);
  await ensureAccounts(trx, [i.debit, i.credit, accounts.inFlight], currency, now);
  const row = await insert(trx, {
    id: i.id, debit_account: i.debit, credit_account: accounts.inFlight, amount: i.amount, kind: i.kind,
    session_id: i.sessionId ?? null, pending: true, post_to: i.credit, resolves: null, created_at: now,
  });
  if (!row) {
    const t = await existing(trx, i.id);
    if (!sameBody(t, i, true)) fail('idempotency_conflict', undefined, { id: i.id });
    return { transfer: t, created: false };
  }
  await applyBalances(trx, i.debit, accounts.inFlight, i.amount);
  return { transfer: row, created: true };
}

/**
 * Posts (to `post_to`) or voids (back to the debit account) a pending transfer: exactly once
 * (L4). Repeating the same resolution returns it; the other one is `already_resolved`.
 */
export async function resolve(trx: Database, now: Date, pendingId: string, how: 'post' | 'void'): Promise<Posted> {
  const p = (await trx.selectFrom('ledger_transfers').selectAll().where('id', '=', pendingId).forUpdate().executeTakeFirst()) as Transfer | undefined;
  if (!p || !p.pending) return fail('not_found', 'No such pending transfer.');
  const target = how === 'post' ? p.post_to! : p.debit_account;
  const id = `${pendingId}:${how}`;
  const done = await trx.selectFrom('ledger_transfers').selectAll().where('resolves', '=', pendingId).executeTakeFirst();
  if (done) {
    if (done.id !== id) fail('already_resolved', undefined, { resolvedBy: done.id });
    return { transfer: done as Transfer, created: false };
  }
  const row = (await insert(trx, {
    id, debit_account: accounts.inFlight, credit_account: target, amount: Number(p.amount), kind: how,
    session_id: p.session_id, pending: false, post_to: null, resolves: pendingId, created_at: now,
  }))!;
  await applyBalances(trx, accounts.inFlight, target, Number(p.amount));
  return { transfer: row, created: true };
}

/** Balance of any account: the kept row for wallets and escrows, the sum of transfers otherwise. */
export async function balanceOf(db: Database, account: string): Promise<number> {
  if (isTracked(parseAccount(account).kind)) {
    const row = await db.selectFrom('ledger_accounts').select('balance').where('id', '=', account).executeTakeFirst();
    return Number(row?.balance ?? 0);
  }
  const { rows } = await sql<{ b: number }>`select
      coalesce((select sum(amount) from ledger_transfers where credit_account = ${account}), 0)
    - coalesce((select sum(amount) from ledger_transfers where debit_account = ${account}), 0) as b`.execute(db);
  return Number(rows[0]!.b);
}
