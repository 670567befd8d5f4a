/**
 * A payment provider takes money from outside into the platform and gives it back. `local`
 * (the embedded default) succeeds at once; `stripe` (stripe-provider.ts) answers `pending`
 * with a Checkout URL and completes through its signed webhook (stripe-webhook.ts). The one in
 * use is chosen at start (app.ts, PAYMENT_PROVIDER) and reached as `deps.payments`. Every call
 * carries an idempotency key, so a retried call cannot charge or refund twice.
 */
import type { Tx } from '../platform/tx.ts';

export type CheckoutPurpose = 'top_up' | 'booking' | 'extension';

export interface CheckoutRequest {
  purpose: CheckoutPurpose;
  userId: string;
  amount: number;
  currency: string;
  /** What the payer sees on the payment page. */
  description: string;
  /** Carried back, untouched, in the completion event: how the payment finds what it pays for. */
  metadata: Record<string, string>;
  idempotencyKey: string;
  /** Where the payer's browser goes back to afterwards (a path of the web app). */
  returnPath: string;
  /** An unpaid checkout stops accepting payment then (a booking's hold). */
  expiresAt?: Date;
}

export type CheckoutOutcome =
  | { status: 'succeeded'; checkoutId: string; paymentRef: string }
  | { status: 'pending'; checkoutId: string; checkoutUrl: string };

export interface RefundRequest {
  paymentRef: string;
  amount: number;
  idempotencyKey: string;
}

/** A provider's event as the webhook and reconciliation apply it. */
export interface ProviderEvent {
  id: string;
  type: string;
  created: number;
  data: { object: unknown };
}

export interface PaymentProvider {
  readonly name: string;
  createCheckout(request: CheckoutRequest): Promise<CheckoutOutcome>;
  refund(request: RefundRequest): Promise<{ refundRef: string }>;
  /** The provider's events since `since`, oldest first (reconciliation). */
  eventsSince(since: Date): AsyncIterable<ProviderEvent>;
}

/** For trying Hourglass: every payment and refund succeeds immediately. Never enable it where money is real. */
export const localProvider: PaymentProvider = {
  name: 'local',
  async createCheckout(r) {
    return {
      status: 'succeeded',
      checkoutId: `local_${r.idempotencyKey}`,
      paymentRef: `local_${r.idempotencyKey}`,
    };
  },
  async refund(r) {
    return { refundRef: `local_${r.idempotencyKey}` };
  },
  async *eventsSince() {},
};

/** A payment that came in through the provider, as what it pays for sees it. */
export interface ProviderPayment {
  provider: string;
  userId: string;
  key: string;
  amount: number;
  paymentRef: string;
}

/**
 * What a paid checkout pays for besides a top-up, by purpose: each takes the payment from the
 * wallet it was credited to, in the provider event's transaction (payments/checkout.ts). The
 * table is built at the composition root (app.ts), so payments need not know bookings or
 * extensions.
 */
export type Fulfilments = Record<
  'booking' | 'extension',
  (tx: Tx, id: string, payment: ProviderPayment) => Promise<void>
>;
