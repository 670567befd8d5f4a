/**
 * B5: how much of a scheduled session's price goes back to the client when it is cancelled.
 * The client: everything up to CANCEL_FULL_REFUND_HOURS before the start, CANCEL_PARTIAL_REFUND_PERCENT
 * up to CANCEL_PARTIAL_REFUND_HOURS before, nothing later. The expert or an operator: everything.
 * Pure, so the tiers' edges are tested without a database.
 */
export interface RefundPolicy {
  fullHours: number;
  partialHours: number;
  partialPercent: number;
}

export function refundPercent(
  by: 'client' | 'expert' | 'operator',
  startsAt: Date,
  now: Date,
  p: RefundPolicy,
): number {
  if (by !== 'client') return 100;
  const hoursBefore = (startsAt.getTime() - now.getTime()) / 3_600_000;
  if (hoursBefore >= p.fullHours) return 100;
  if (hoursBefore >= p.partialHours) return p.partialPercent;
  return 0;
}

/** The refund in minor units: rounded down, so a split never refunds more than was paid. */
export const refundAmount = (price: number, percent: number) => Math.floor((price * percent) / 100);
