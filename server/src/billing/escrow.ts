import { accounts } from '../ledger/accounts.ts';
import { balanceOf, transfer } from '../ledger/ledger.ts';
import { split } from '../ledger/split.ts';
import { refundToCard } from '../payments/refunds.ts';
import type { Deps } from '../platform/context.ts';
import { refOf } from '../platform/events.ts';
import type { Tx } from '../platform/transaction.ts';
import type { SessionRow } from '../sessions/repository.ts';
import { patchSession } from '../sessions/lifecycle.ts';

/**
 * Escrow of a scheduled session (E5): the price moves from the client's wallet into the
 * session's own escrow account at booking, and leaves it once — released to the expert
 * (with the platform's fee), refunded to the client, or split between the two.
 * Transfer ids: `escrow:{session}:hold`, `…:refund`, `…:release` and `…:release:fee`.
 */
export async function holdEscrow(deps: Deps, tx: Tx, s: SessionRow): Promise<SessionRow> {
  await transfer(tx.db, tx.now, deps.config.CURRENCY, {
    id: `escrow:${s.id}:hold`,
    debit: accounts.wallet(s.client_id),
    credit: accounts.escrow(s.id),
    amount: s.price!,
    kind: 'escrow_hold',
    sessionId: s.id,
  });
  // Paid is when a booking stands (B3), whether from the wallet at once or by card later.
  tx.outbox.push({
    type: 'session.booked',
    ...refOf(s),
    scheduledAt: s.scheduled_at!.toISOString(),
    price: s.price!,
  });
  return patchSession(tx.db, s, { escrow_state: 'held' });
}

async function release(deps: Deps, tx: Tx, s: SessionRow) {
  const amount = await balanceOf(tx.db, accounts.escrow(s.id));
  if (amount === 0) return;
  const id = `escrow:${s.id}:release`;
  const earnings = accounts.earnings(s.expert_id);
  await transfer(tx.db, tx.now, deps.config.CURRENCY, {
    id,
    debit: accounts.escrow(s.id),
    credit: earnings,
    amount,
    kind: 'escrow_release',
    sessionId: s.id,
  });
  const fee = split(amount, deps.config.SPLIT_EXPERT_PERCENT).platform;
  if (fee > 0) {
    await transfer(tx.db, tx.now, deps.config.CURRENCY, {
      id: `${id}:fee`,
      debit: earnings,
      credit: accounts.platformRevenue,
      amount: fee,
      kind: 'escrow_release_fee',
      sessionId: s.id,
    });
  }
  tx.outbox.push({ type: 'escrow.released', ...refOf(s), amount });
}

/** Everything left in escrow goes to the expert, less the platform's fee. */
export async function releaseEscrow(deps: Deps, tx: Tx, s: SessionRow) {
  await release(deps, tx, s);
  return patchSession(tx.db, s, { escrow_state: 'released', escrow_release_at: null });
}

/**
 * `amount` (default: all) goes back to the client; anything left is released to the expert.
 * A refund of everything leaves the escrow `refunded`; a part of it, `settled`. Money a card
 * paid goes on to the card (booking/payment.ts), whatever the refund's cause (`reason`).
 */
export async function refundEscrow(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  refund: { amount?: number; reason?: string } = {},
) {
  const { amount, reason = 'escrow_refund' } = refund;
  const held = await balanceOf(tx.db, accounts.escrow(s.id));
  const back = Math.min(amount ?? held, held);
  if (back > 0) {
    await transfer(tx.db, tx.now, deps.config.CURRENCY, {
      id: `escrow:${s.id}:refund`,
      debit: accounts.escrow(s.id),
      credit: accounts.wallet(s.client_id),
      amount: back,
      kind: 'escrow_refund',
      sessionId: s.id,
    });
    tx.outbox.push({ type: 'escrow.refunded', ...refOf(s), amount: back });
    await refundToCard(deps, tx, s, { amount: back, reason });
  }
  if (back < held) await release(deps, tx, s);
  return patchSession(tx.db, s, {
    escrow_state: back === held ? 'refunded' : 'settled',
    escrow_release_at: null,
  });
}
