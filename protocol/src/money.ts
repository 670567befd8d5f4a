import { z } from 'zod';
import { Id, Minor, Timestamp } from './common.ts';

/** `Idempotency-Key` header of money-moving POSTs: the same key repeats the same movement once. */
export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits and _ . : - (at most 100)');

export const Wallet = z.object({ balance: Minor, currency: z.string() });

export const WalletEntry = z.object({
  id: z.string().describe('The transfer id, which is also its idempotency key'),
  kind: z.string(),
  amount: z.number().int().describe('Signed: positive into the wallet, negative out of it'),
  sessionId: Id.nullable(),
  at: Timestamp,
});

export const TopUpBody = z.strictObject({ amount: Minor.min(1) });
export const TopUp = z.object({
  id: z.string(),
  status: z.enum(['succeeded', 'pending']),
  amount: Minor,
  checkoutUrl: z
    .string()
    .nullable()
    .describe('Where to pay, when the provider needs the client (pending)'),
  wallet: Wallet,
});

export const AdminCreditBody = z.strictObject({
  amount: Minor.min(1),
  reason: z.string().trim().min(1).max(500),
});
export const UserIdParams = z.strictObject({ userId: Id });

export const DisputeBody = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export const RefundBody = z.strictObject({
  amount: Minor.min(1).optional().describe('Default: everything held'),
});
export const NoShowBody = z.strictObject({ absent: z.enum(['client', 'expert']) });

export const EscrowState = z.enum(['held', 'released', 'refunded', 'settled', 'disputed']);
export const Escrow = z.object({
  sessionId: Id,
  state: EscrowState.nullable(),
  held: Minor,
  releaseAt: Timestamp.nullable(),
  disputedAt: Timestamp.nullable(),
  disputeReason: z.string().nullable(),
});

const Bucket = z.object({ count: z.number().int(), sum: Minor });
export const EscrowStats = z.object({
  held: Bucket,
  disputed: Bucket,
  released: Bucket,
  refunded: Bucket,
  currency: z.string(),
});

export const Earnings = z.object({
  expertId: Id,
  currency: z.string(),
  gross: Minor.describe('Everything clients paid for this expert’s sessions'),
  fees: Minor.describe('The platform’s part'),
  net: Minor.describe('gross − fees'),
  paidOut: Minor,
  payoutsPending: Minor,
  available: Minor.describe('net − paid out − pending payouts'),
  serverNow: Timestamp.describe(
    'The server clock: what "the last 30 days" of a chart count back from',
  ),
});
export const SessionEarnings = z.object({
  sessionId: Id,
  gross: Minor,
  fees: Minor,
  net: Minor,
  at: Timestamp,
});

export const PayoutBody = z.strictObject({ expertId: Id, amount: Minor.min(1) });
export const Payout = z.object({
  id: z.string(),
  expertId: Id,
  amount: Minor,
  status: z.enum(['pending', 'paid', 'failed']),
  createdAt: Timestamp,
});
export const PayoutParams = z.strictObject({
  payoutId: z.string().regex(/^payout:[0-9a-f-]{36}:[A-Za-z0-9_.:-]{1,100}$/),
});

/** How a booking or an extension is paid: from the wallet at once, or through the provider's checkout page. */
export const PayWith = z.enum(['wallet', 'checkout']);

/** E6: more minutes for a live scheduled session, at the expert's per-minute rate for its type. */
export const ExtensionBody = z.strictObject({
  minutes: z
    .number()
    .int()
    .min(1)
    .max(240)
    .describe('One of the lengths the server offers (EXTENSION_MINUTES; default 5, 10, 15)'),
  payWith: PayWith.default('wallet'),
});
export const Extension = z.object({
  id: Id,
  sessionId: Id,
  minutes: z.number().int(),
  amount: Minor,
  payWith: PayWith,
  state: z
    .enum(['awaiting_payment', 'applied', 'refunded'])
    .describe('refunded: paid after the session could no longer be extended'),
  createdAt: Timestamp,
});
export const ExtensionResult = z.object({
  extension: Extension,
  endsAt: Timestamp.nullable().describe("The session's deadline now"),
  checkoutUrl: z
    .string()
    .nullable()
    .describe('Where to pay (checkout): the deadline moves once the payment is complete'),
});
