/**
 * A payment provider takes money from outside into the platform. `local` (the embedded
 * default) succeeds at once; Stripe (its own issue) answers `pending` with a checkout URL and
 * completes through its signed webhook.
 */
export interface TopUpRequest {
  userId: string;
  amount: number;
  currency: string;
  /** Passed on to the provider, so a retried call cannot charge twice there either. */
  idempotencyKey: string;
}

export type TopUpOutcome =
  | { status: 'succeeded'; providerRef: string }
  | { status: 'pending'; providerRef: string; checkoutUrl: string };

export interface PaymentProvider {
  readonly name: string;
  createTopUp(request: TopUpRequest): Promise<TopUpOutcome>;
}

/** For trying Hourglass: every top-up succeeds immediately. Never enable it where money is real. */
export const localProvider: PaymentProvider = {
  name: 'local',
  async createTopUp(r) {
    return { status: 'succeeded', providerRef: `local_${r.idempotencyKey}` };
  },
};

export function paymentProvider(name: 'local'): PaymentProvider {
  switch (name) {
    case 'local':
      return localProvider;
  }
}
