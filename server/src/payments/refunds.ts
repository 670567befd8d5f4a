import { sql } from 'kysely';
import { accounts } from '../ledger/accounts.ts';
import { hold, resolve } from '../ledger/ledger.ts';
import type { Deps } from '../platform/context.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';
import type { SessionRow } from '../sessions/repository.ts';
import type { ProviderPayment } from './provider.ts';

/** Attempts before a refund the provider keeps refusing is given up (the money stays in the wallet). */
export const REFUND_ATTEMPTS = 8;
const backoffMs = (attempt: number) => Math.min(60_000 * 2 ** (attempt - 1), 6 * 3_600_000);

/**
 * Decides a refund through the provider, in the caller's transaction: the amount leaves the
 * wallet at once as a pending transfer `refund:{key}` (wallet → provider cash), and a
 * `provider_refunds` row asks the refund sweep to carry it out. Deciding the same refund twice
 * is one refund (the id).
 */
export async function queueRefund(
  deps: Deps,
  tx: Tx,
  payment: ProviderPayment,
  refund: { amount: number; reason: string; sessionId: string | null },
) {
  const { amount, reason, sessionId } = refund;
  const { db: trx, now } = tx;
  const id = `refund:${payment.userId}:${payment.key}`;
  await hold(trx, now, deps.config.CURRENCY, {
    id,
    debit: accounts.wallet(payment.userId),
    credit: accounts.providerCash(payment.provider),
    amount,
    kind: 'provider_refund',
    sessionId,
  });
  await trx
    .insertInto('provider_refunds')
    .values({
      id,
      provider: payment.provider,
      user_id: payment.userId,
      payment_ref: payment.paymentRef,
      amount,
      reason,
      session_id: sessionId,
      provider_ref: null,
      last_error: null,
      next_attempt_at: now,
      created_at: now,
      finished_at: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return id;
}

/**
 * The refund sweep. A due refund is claimed (SKIP LOCKED, and its next attempt pushed back, so
 * another node does not take it meanwhile), the provider is called outside any transaction with
 * the refund's id as the idempotency key, and the outcome is recorded: posted on success; on
 * failure retried with backoff, and after REFUND_ATTEMPTS voided back into the wallet.
 */
export async function refundTick(
  deps: Deps,
  batch = 20,
): Promise<{ processed: number; failed: number }> {
  const claimed = await inTransaction(deps, async ({ db: trx, now }) => {
    const { rows } = await sql<{
      id: string;
      provider: string;
      payment_ref: string;
      amount: string | number;
      attempts: number;
    }>`
      update provider_refunds set attempts = attempts + 1, next_attempt_at = ${new Date(now.getTime() + 5 * 60_000)}
      where id in (select id from provider_refunds where state = 'pending' and next_attempt_at <= ${now}
                   order by next_attempt_at limit ${batch} for update skip locked)
      returning id, provider, payment_ref, amount, attempts`.execute(trx);
    return rows;
  });
  const result = { processed: 0, failed: 0 };
  for (const r of claimed) {
    const provider = deps.payments;
    try {
      if (provider.name !== r.provider)
        throw new Error(`refund ${r.id} is for ${r.provider}, this node runs ${provider.name}`);
      const { refundRef } = await provider.refund({
        paymentRef: r.payment_ref,
        amount: Number(r.amount),
        idempotencyKey: r.id,
      });
      await finish(deps, r.id, 'succeeded', { provider_ref: refundRef });
      result.processed++;
    } catch (err) {
      result.failed++;
      deps.log.warn({ err, refund: r.id, attempt: r.attempts }, 'provider refund failed');
      const message = (err as Error).message.slice(0, 500);
      if (r.attempts >= REFUND_ATTEMPTS)
        await finish(deps, r.id, 'failed', { last_error: message });
      else {
        await inTransaction(deps, ({ db: trx, now }) =>
          trx
            .updateTable('provider_refunds')
            .set({
              last_error: message,
              next_attempt_at: new Date(now.getTime() + backoffMs(r.attempts)),
            })
            .where('id', '=', r.id)
            .where('state', '=', 'pending')
            .execute(),
        );
      }
    }
  }
  deps.metrics.sweepRows.inc({ sweep: 'refunds' }, claimed.length);
  return result;
}

/** Records the outcome and resolves the pending transfer with it, once (L4). */
async function finish(
  deps: Deps,
  id: string,
  state: 'succeeded' | 'failed',
  patch: { provider_ref?: string; last_error?: string },
) {
  await inTransaction(deps, async ({ db: trx, now }) => {
    const done = await trx
      .updateTable('provider_refunds')
      .set({ state, finished_at: now, ...patch })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 1)
      await resolve(trx, now, id, state === 'succeeded' ? 'post' : 'void');
  });
}

/**
 * B5 through the provider: money refunded from a card-paid booking's escrow goes on to the
 * card (it passes through the wallet, as it came). Wallet-paid bookings stop at the wallet.
 */
export async function refundToCard(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  refund: { amount: number; reason: string },
) {
  const { amount: refunded, reason } = refund;
  if (refunded <= 0) return;
  const paid = await tx.db
    .selectFrom('provider_checkouts')
    .selectAll()
    .where('session_id', '=', s.id)
    .where('purpose', '=', 'booking')
    .where('state', '=', 'paid')
    .executeTakeFirst();
  if (!paid?.payment_ref) return;
  const payment = {
    provider: paid.provider,
    userId: paid.user_id,
    key: paid.key,
    amount: Number(paid.amount),
    paymentRef: paid.payment_ref,
  };
  await queueRefund(deps, tx, payment, {
    amount: Math.min(refunded, payment.amount),
    reason,
    sessionId: s.id,
  });
}
