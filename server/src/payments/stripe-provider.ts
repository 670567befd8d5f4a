import Stripe from 'stripe';
import type { Config } from '../config.ts';
import { AppError } from '../platform/errors.ts';
import type { PaymentProvider } from './provider.ts';

/**
 * What a failed Stripe call means to our caller. Stripe's own message (which can carry ids and
 * our idempotency key) never reaches a client: it stays in the error's `cause`, for the log.
 * A key reused with other parameters is our idempotency_conflict; anything else is the
 * provider refusing or failing, and nothing was charged.
 */
function providerError(err: unknown): never {
  if (!(err instanceof Stripe.errors.StripeError)) throw err;
  if (err instanceof Stripe.errors.StripeIdempotencyError)
    throw new AppError('idempotency_conflict', undefined, undefined, { cause: err });
  throw new AppError('provider_error', undefined, undefined, { cause: err });
}

/** Where the SDK sends its calls: api.stripe.com unless STRIPE_API_URL names another (a local fake in tests). */
function apiLocation(url: string | undefined): Stripe.StripeConfig {
  if (!url) return {};
  const u = new URL(url);
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  return { host: u.hostname, port: Number(u.port || (protocol === 'http' ? 80 : 443)), protocol };
}

/**
 * Stripe through its official SDK. Checkout Sessions take the payments (mode `payment`, one
 * line at our price); refunds go against the PaymentIntent a completed checkout reported.
 * The SDK retries a call whose answer was lost (network, 409, 5xx) with the same
 * idempotency key, and so do we on a retried request: Stripe answers the first result again.
 */
export function stripeProvider(config: Config): PaymentProvider {
  const stripe = new Stripe(config.STRIPE_SECRET_KEY!, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...apiLocation(config.STRIPE_API_URL),
  });
  const back = (path: string, outcome: string) =>
    `${config.publicUrl}${path}${path.includes('?') ? '&' : '?'}checkout=${outcome}`;
  return {
    name: 'stripe',
    async createCheckout(r) {
      const session = await stripe.checkout.sessions
        .create(
          {
            mode: 'payment',
            client_reference_id: r.userId,
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: r.currency.toLowerCase(),
                  unit_amount: r.amount,
                  product_data: { name: r.description },
                },
              },
            ],
            metadata: r.metadata,
            payment_intent_data: { metadata: r.metadata },
            success_url: back(r.returnPath, 'success'),
            cancel_url: back(r.returnPath, 'cancelled'),
            ...(r.expiresAt && { expires_at: Math.floor(r.expiresAt.getTime() / 1000) }),
          },
          { idempotencyKey: r.idempotencyKey },
        )
        .catch(providerError);
      if (!session.url) throw new Error(`Stripe checkout ${session.id} came back without a URL`);
      return { status: 'pending', checkoutId: session.id, checkoutUrl: session.url };
    },
    async refund(r) {
      const refund = await stripe.refunds.create(
        { payment_intent: r.paymentRef, amount: r.amount },
        { idempotencyKey: r.idempotencyKey },
      );
      if (refund.status === 'failed' || refund.status === 'canceled')
        throw new Error(`Stripe refund ${refund.id} ${refund.status}`);
      return { refundRef: refund.id };
    },
    async *eventsSince(since) {
      const events: Stripe.Event[] = [];
      // The list is newest first; applying oldest first keeps the log readable (order does not matter for correctness).
      for await (const e of stripe.events.list({
        created: { gte: Math.floor(since.getTime() / 1000) },
        limit: 100,
      }))
        events.push(e);
      yield* events.reverse();
    },
  };
}
