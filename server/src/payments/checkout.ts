import { z } from 'zod';
import { accounts } from '../ledger/accounts.ts';
import { balanceOf, transfer } from '../ledger/ledger.ts';
import type { Deps } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';
import type { ProviderPayment } from './provider.ts';

/**
 * What a checkout carries to the provider and back: who pays, our idempotency key, and what it
 * pays for. The money always lands in the payer's wallet first (transfer `topup:{user}:{key}`),
 * and a booking or an extension then takes it from there — so a payment that arrives when
 * there is nothing left to pay for (the hold lapsed, the session ended) is simply refunded.
 */
const Key = z.string().min(1).max(200);
export const CheckoutMetadata = z.discriminatedUnion('purpose', [
  z.object({ purpose: z.literal('top_up'), userId: z.uuid(), key: Key }),
  z.object({ purpose: z.literal('booking'), userId: z.uuid(), key: Key, sessionId: z.uuid() }),
  z.object({ purpose: z.literal('extension'), userId: z.uuid(), key: Key, extensionId: z.uuid() }),
]);
export type CheckoutMetadata = z.output<typeof CheckoutMetadata>;

export interface PaidCheckout {
  checkoutId: string;
  amount: number;
  currency: string;
  paymentRef: string;
  metadata: unknown;
}

/** What the caller of a payment learns: done (local), or a page to send the payer to. */
export type CheckoutStarted =
  { status: 'succeeded'; checkoutUrl: null } | { status: 'pending'; checkoutUrl: string };

/**
 * Asks the provider for a checkout of `amount` for `meta`. The provider is called outside any
 * transaction (no lock waits on the network). A `local` payment succeeds at once and is applied
 * by the same code as a provider's completion event.
 */
export async function startCheckout(
  deps: Deps,
  meta: CheckoutMetadata,
  amount: number,
  page: { description: string; returnPath: string; expiresAt?: Date },
): Promise<CheckoutStarted> {
  const provider = deps.payments;
  const currency = deps.config.CURRENCY;
  const sessionId = meta.purpose === 'booking' ? meta.sessionId : null;
  const outcome = await provider.createCheckout({
    purpose: meta.purpose,
    userId: meta.userId,
    amount,
    currency,
    metadata: { ...meta },
    // Unique per payer: Stripe scopes idempotency keys to the whole account.
    idempotencyKey: `${meta.userId}:${meta.key}`,
    ...page,
  });
  if (outcome.status === 'succeeded') {
    await inTransaction(deps, (tx) =>
      fulfilCheckout(deps, tx, provider.name, {
        checkoutId: outcome.checkoutId,
        amount,
        currency,
        paymentRef: outcome.paymentRef,
        metadata: meta,
      }),
    );
    return { status: 'succeeded', checkoutUrl: null };
  }
  const now = await deps.clock.now(deps.db);
  // The completion may have come first (it records the row as paid): then this changes nothing.
  await deps.db
    .insertInto('provider_checkouts')
    .values({
      id: outcome.checkoutId,
      provider: provider.name,
      purpose: meta.purpose,
      user_id: meta.userId,
      key: meta.key,
      amount,
      session_id: sessionId,
      payment_ref: null,
      created_at: now,
      paid_at: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return { status: 'pending', checkoutUrl: outcome.checkoutUrl };
}

/**
 * A paid checkout, applied in the caller's transaction (the webhook's, with its inbox row):
 * the wallet is credited once, then the booking or extension it was for is paid from it. A
 * checkout that is not ours (no metadata of ours) changes nothing.
 */
export async function fulfilCheckout(deps: Deps, tx: Tx, provider: string, paid: PaidCheckout) {
  const { db: trx, now, outbox } = tx;
  const parsed = CheckoutMetadata.safeParse(paid.metadata);
  if (!parsed.success) return;
  const meta = parsed.data;
  if (paid.currency.toUpperCase() !== deps.config.CURRENCY) {
    throw new AppError(
      'internal',
      `checkout ${paid.checkoutId} in ${paid.currency}, wallets are in ${deps.config.CURRENCY}`,
    );
  }
  const wallet = accounts.wallet(meta.userId);
  const { created } = await transfer(trx, now, deps.config.CURRENCY, {
    id: `topup:${meta.userId}:${meta.key}`,
    debit: accounts.providerCash(provider),
    credit: wallet,
    amount: paid.amount,
    kind: 'top_up',
  });
  await trx
    .insertInto('provider_checkouts')
    .values({
      id: paid.checkoutId,
      provider,
      purpose: meta.purpose,
      user_id: meta.userId,
      key: meta.key,
      amount: paid.amount,
      session_id: meta.purpose === 'booking' ? meta.sessionId : null,
      payment_ref: paid.paymentRef,
      state: 'paid',
      created_at: now,
      paid_at: now,
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({ state: 'paid', payment_ref: paid.paymentRef, paid_at: now }),
    )
    .execute();
  // Paid before (another event of the same checkout): the rest was done then.
  if (!created) return;
  outbox.push({
    type: 'wallet.credited',
    userId: meta.userId,
    amount: paid.amount,
    balance: await balanceOf(trx, wallet),
  });
  const payment: ProviderPayment = {
    provider,
    userId: meta.userId,
    key: meta.key,
    amount: paid.amount,
    paymentRef: paid.paymentRef,
  };
  if (meta.purpose === 'booking') await deps.fulfilments.booking(tx, meta.sessionId, payment);
  if (meta.purpose === 'extension') await deps.fulfilments.extension(tx, meta.extensionId, payment);
}
