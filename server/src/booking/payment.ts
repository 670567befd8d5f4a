import { holdEscrow } from '../billing/escrow.ts';
import type { Deps } from '../platform/context.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';
import { startCheckout, type CheckoutStarted } from '../payments/checkout.ts';
import type { ProviderPayment } from '../payments/provider.ts';
import { queueRefund } from '../payments/refunds.ts';
import { SYSTEM, apply, loadForUpdate, patchSession } from '../sessions/lifecycle.ts';
import type { SessionRow } from '../sessions/repository.ts';

/**
 * B3, the checkout path: the booking already holds its time (payment_due_at); the provider's
 * page takes the price. If the provider cannot be reached, the hold is released at once rather
 * than left to lapse, and the error goes back to the client.
 */
export async function checkoutBooking(
  deps: Deps,
  booking: { sessionId: string; clientId: string; price: number; dueAt: Date },
): Promise<CheckoutStarted> {
  const { sessionId, clientId, price, dueAt } = booking;
  try {
    return await startCheckout(
      deps,
      { purpose: 'booking', userId: clientId, key: `booking:${sessionId}`, sessionId },
      price,
      {
        description: 'Session booking',
        returnPath: '/',
        expiresAt: dueAt,
      },
    );
  } catch (err) {
    await inTransaction(deps, async (tx) =>
      releaseUnpaid(deps, tx, await loadForUpdate(tx.db, sessionId), 'checkout_failed'),
    );
    throw err;
  }
}

/**
 * The booking's checkout was paid (in the provider event's transaction): the price moves from
 * the wallet it was credited to into the session's escrow, as a wallet booking's does. A
 * payment for a booking no longer held (the hold lapsed, it was cancelled) is refunded.
 */
export async function payBooking(deps: Deps, tx: Tx, sessionId: string, payment: ProviderPayment) {
  const s = await loadForUpdate(tx.db, sessionId);
  if (
    s.state === 'booked' &&
    s.payment_due_at &&
    Number(s.price) === payment.amount &&
    s.client_id === payment.userId
  ) {
    await patchSession(tx.db, await holdEscrow(deps, tx, s), { payment_due_at: null });
    return;
  }
  await queueRefund(deps, tx, payment, {
    amount: payment.amount,
    reason: 'booking_not_held',
    sessionId: s.id,
  });
}

/** An unpaid booking gives its time back: cancelled, its one-off slot open again. Nothing was paid, so nothing moves. */
export async function releaseUnpaid(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  why: 'payment_not_received' | 'checkout_failed',
) {
  if (s.state !== 'booked' || !s.payment_due_at) return s;
  const cancelled = await apply(deps, tx, s, {
    command: { type: 'cancel' },
    actor: SYSTEM,
    patch: { payment_due_at: null },
    data: { by: 'system', reason: why },
  });
  await tx.db
    .updateTable('availability_slots')
    .set({ session_id: null })
    .where('session_id', '=', s.id)
    .execute();
  return cancelled;
}
