import { sql } from 'kysely';
import { accounts } from '../ledger/accounts.ts';
import { balanceOf, transfer } from '../ledger/ledger.ts';
import { isOperator, type Deps, type Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { startCheckout } from '../payments/checkout.ts';

/**
 * The wallet's owner: a signed-in client, or the client of a session by their join link — so a
 * client whose money runs low can top up from inside the room (a link to a host platform's
 * session carries no sign-in). The link reads the balance and adds money; it lists no history.
 */
function clientOf(principal: Principal, viaLink = false): string {
  if (principal.kind === 'user' && principal.role === 'client') return principal.userId;
  if (viaLink && principal.kind === 'participant' && principal.role === 'client')
    return principal.userId;
  return fail('forbidden', 'Only clients have a wallet.');
}

const keyOr = (deps: Deps, key: string | undefined) => key ?? deps.ids.uuid();

export async function getWallet(deps: Deps, principal: Principal) {
  const userId = clientOf(principal, true);
  return {
    balance: await balanceOf(deps.db, accounts.wallet(userId)),
    currency: deps.config.CURRENCY,
  };
}

/** Newest first, by the transfer's sequence number: `cursor` is the last seq seen. */
export async function walletHistory(
  deps: Deps,
  principal: Principal,
  q: { limit: number; cursor?: string | undefined },
) {
  const wallet = accounts.wallet(clientOf(principal));
  if (q.cursor !== undefined && !/^\d{1,18}$/.test(q.cursor))
    fail('validation_failed', 'Invalid cursor', {
      issues: [{ path: 'query.cursor', message: 'not a cursor' }],
    });
  const { rows } = await sql<{
    seq: number;
    id: string;
    kind: string;
    amount: number;
    credit_account: string;
    session_id: string | null;
    created_at: Date;
  }>`
    select seq, id, kind, amount, credit_account, session_id, created_at from ledger_transfers
    where (debit_account = ${wallet} or credit_account = ${wallet}) ${q.cursor ? sql`and seq < ${Number(q.cursor)}` : sql``}
    order by seq desc limit ${q.limit + 1}`.execute(deps.db);
  const items = rows.slice(0, q.limit).map((t) => ({
    id: t.id,
    kind: t.kind,
    amount: t.credit_account === wallet ? Number(t.amount) : -Number(t.amount),
    sessionId: t.session_id,
    at: t.created_at.toISOString(),
  }));
  return { items, nextCursor: rows.length > q.limit ? String(rows[q.limit - 1]!.seq) : null };
}

/**
 * E1: a top-up through the payment provider (payments/checkout.ts). The credit is transfer
 * `topup:{user}:{key}`, made when the payment completes (at once for `local`, by the webhook
 * for Stripe), so a retry with the same Idempotency-Key credits once and shows the same page.
 */
export async function topUp(
  deps: Deps,
  principal: Principal,
  amount: number,
  key: string | undefined,
) {
  const userId = clientOf(principal, true);
  const { TOP_UP_MIN: min, TOP_UP_MAX: max } = deps.config;
  if (amount < min || amount > max)
    fail('validation_failed', `Top-ups are from ${min} to ${max}.`, {
      min,
      max,
      issues: [{ path: 'body.amount', message: `between ${min} and ${max}` }],
    });
  // Card payments for a booking or an extension are keyed `booking:…` / `extension:…` in the same
  // space as top-ups (they land in the wallet first): a top-up may not take such a key.
  if (key && /^(booking|extension):/.test(key)) {
    fail('validation_failed', 'This Idempotency-Key is reserved.', {
      issues: [
        { path: 'headers.idempotency-key', message: 'may not start with booking: or extension:' },
      ],
    });
  }
  const idempotencyKey = keyOr(deps, key);
  const id = `topup:${userId}:${idempotencyKey}`;
  // A key seen before is answered by what it did — credited (the ledger), or a checkout asked of
  // the provider and not yet paid — and the same key with another amount is a conflict, found
  // here before the provider is called. (Two first requests racing each other both get this far:
  // the provider refuses the second, which payments/stripe-provider.ts answers the same way.)
  const [done, asked] = await Promise.all([
    deps.db.selectFrom('ledger_transfers').select('amount').where('id', '=', id).executeTakeFirst(),
    deps.db
      .selectFrom('provider_checkouts')
      .select(['amount', 'purpose'])
      .where('user_id', '=', userId)
      .where('key', '=', idempotencyKey)
      .executeTakeFirst(),
  ]);
  const conflicting =
    (done && Number(done.amount) !== amount) ||
    (asked && (asked.purpose !== 'top_up' || Number(asked.amount) !== amount));
  if (conflicting) fail('idempotency_conflict');
  const started = done
    ? ({ status: 'succeeded', checkoutUrl: null } as const)
    : await startCheckout(deps, { purpose: 'top_up', userId, key: idempotencyKey }, amount, {
        description: 'Wallet top-up',
        returnPath: '/wallet',
      });
  return {
    id,
    status: started.status,
    amount,
    checkoutUrl: started.checkoutUrl,
    wallet: await getWallet(deps, principal),
  };
}

/** An operator's credit (goodwill, a manual payment): paid by the platform, transfer `credit:{user}:{key}`. */
export async function adminCredit(
  deps: Deps,
  principal: Principal,
  userId: string,
  credit: { amount: number; key: string | undefined },
) {
  const { amount, key } = credit;
  if (!isOperator(principal)) fail('forbidden');
  const user = await deps.db
    .selectFrom('users')
    .select('role')
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user) fail('not_found', 'No such user.');
  if (user!.role !== 'client')
    fail('validation_failed', 'Only clients have a wallet.', {
      issues: [{ path: 'params.userId', message: 'not a client' }],
    });
  return inTransaction(deps, async (tx) => {
    const { db: trx, now, outbox } = tx;
    const wallet = accounts.wallet(userId);
    const id = `credit:${userId}:${keyOr(deps, key)}`;
    const { created } = await transfer(trx, now, deps.config.CURRENCY, {
      id,
      debit: accounts.platformRevenue,
      credit: wallet,
      amount,
      kind: 'admin_credit',
    });
    const balance = await balanceOf(trx, wallet);
    // A repeated request (same key) credited nothing new: nothing to tell.
    if (created) outbox.push({ type: 'wallet.credited', userId, amount, balance });
    return { balance, currency: deps.config.CURRENCY };
  });
}
