import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { Deps } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';
import { fulfilCheckout } from './checkout.ts';
import type { ProviderEvent } from './provider.ts';

// Verifying signatures needs no API key and makes no call; the key only satisfies the constructor.
// Loaded at the first delivery: a deployment without Stripe never loads the SDK.
let verifier: Stripe | undefined;
const stripeVerifier = async () =>
  (verifier ??= new (await import('stripe')).default('sk_verification_only'));

const CheckoutSession = z.object({
  id: z.string(),
  amount_total: z.number().int().positive(),
  currency: z.string(),
  payment_status: z.string(),
  payment_intent: z.string().nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable(),
});

/**
 * POST /api/webhooks/stripe: the signature is checked over the raw bytes (so this route parses
 * its own body), with Stripe's 300 s tolerance. A verified event is applied exactly once
 * (applyProviderEvent); any failure answers 5xx with nothing applied, and Stripe delivers again.
 */
export function stripeWebhookRoutes(app: FastifyInstance, deps: Deps) {
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
    scope.post('/api/webhooks/stripe', async (req, reply) => {
      const secret =
        deps.config.STRIPE_WEBHOOK_SECRET ??
        fail('not_found', 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET).');
      const signature = req.headers['stripe-signature'];
      if (typeof signature !== 'string' || !Buffer.isBuffer(req.body))
        return fail('signature_invalid');
      let event: Stripe.Event;
      try {
        event = (await stripeVerifier()).webhooks.constructEvent(req.body, signature, secret, 300);
      } catch {
        return fail('signature_invalid');
      }
      const applied = await applyProviderEvent(deps, 'stripe', event);
      return reply.status(200).send({ received: true, duplicate: !applied });
    });
  });
}

/**
 * The inbox: the event's row is inserted in the transaction that applies it. A second delivery
 * (even a concurrent one: it waits on the key) finds the row and applies nothing; a failure
 * rolls back both, so the next delivery applies it. Out-of-order events are harmless: each
 * effect is keyed by the object it settles, not by arrival.
 */
export async function applyProviderEvent(deps: Deps, provider: string, event: ProviderEvent) {
  return inTransaction(deps, async (tx) => {
    const fresh = await tx.db
      .insertInto('provider_events')
      .values({
        id: event.id,
        provider,
        type: event.type,
        created_at: new Date(event.created * 1000),
        applied_at: tx.now,
        payload: JSON.stringify(event),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!fresh) return false;
    if (
      event.type === 'checkout.session.completed' ||
      event.type === 'checkout.session.async_payment_succeeded'
    ) {
      await checkoutPaid(deps, tx, provider, event.data.object);
    }
    return true;
  });
}

/** A completed (or later-succeeded) Checkout Session: paid, it is fulfilled (payments/checkout.ts). */
async function checkoutPaid(deps: Deps, tx: Tx, provider: string, object: unknown) {
  const session = CheckoutSession.safeParse(object);
  if (!session.success || session.data.payment_status !== 'paid') return;
  const { id, amount_total: amount, currency, payment_intent, metadata } = session.data;
  await fulfilCheckout(deps, tx, provider, {
    checkoutId: id,
    amount,
    currency,
    paymentRef: payment_intent ?? id,
    metadata,
  });
}
