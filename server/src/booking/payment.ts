import { holdEscrow } from '../billing/escrow.ts';
import type { Database } from '../db/connect.ts';
import type { Deps } from '../platform/context.ts';
import type { DomainEvent } from '../platform/events.ts';
import { inTransactionWithEvents } from '../platform/transaction.ts';
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
export async function checkoutBooking(deps: Deps, sessionId: string, clientId: string, price: number, dueAt: Date): Promise<CheckoutStarted> {
  try {
    return await startCheckout(deps, { purpose: 'booking', userId: clientId, key: `booking:${sessionId}`, sessionId }, price, {
      description: 'Session booking',
      returnPath: '/',
      expiresAt: dueAt,
    });
  } catch (err) {
    await inTransactionWithEvents(deps, async (trx, now, outbox) => releaseUnpaid(deps, trx, await loadForUpdate(trx, sessionId), now, outbox, 'checkout_failed'));
    throw err;
  }
}

/**
 * The booking's checkout was paid (in the provider event's transaction): the price moves from
 * the wallet it was credited to into the session's escrow, as a wallet booking's does. A
 * payment for a booking no longer held (the hold lapsed, it was cancelled) is refunded.
 */
export async function payBooking(deps: Deps, trx: Database, now: Date, outbox: DomainEvent[], sessionId: string, payment: ProviderPayment) {
  const s = await loadForUpdate(trx, sessionId);
  if (s.state === 'booked' && s.payment_due_at && Number(s.price) === payment.amount && s.client_id === payment.userId) {
    await patchSession(trx, await holdEscrow(deps, trx, s, now, outbox), { payment_due_at: null });
    return;
  }
  await queueRefund(deps, trx, now, payment, payment.amount, 'booking_not_held', s.id);
}

/** An unpaid booking gives its time back: cancelled, its one-off slot open again. Nothing was paid, so nothing moves. */
export async function releaseUnpaid(deps: Deps, trx: Database, s: SessionRow, now: Date, _outbox: DomainEvent[], why: 'payment_not_received' | 'checkout_failed') {
  if (s.state !== 'booked' || !s.payment_due_at) return s;
  const cancelled = await apply(deps, trx, s, { type: 'cancel' }, SYSTEM, now, { payment_due_at: null }, { by: 'system', reason: why });
  await trx.updateTable('availability_slots').set({ session_id: null }).where('session_id', '=', s.id).execute();
  return cancelled;
}
