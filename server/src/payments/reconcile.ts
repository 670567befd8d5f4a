import type { Deps } from '../platform/context.ts';
import { applyProviderEvent } from './stripe-webhook.ts';

export const RECONCILE_DAYS = 3;

/**
 * Reconciliation: the provider's own list of its events of the last `days` days, each applied
 * through the inbox exactly as a webhook delivery is — so events the webhook already applied
 * change nothing, and any it missed (an outage, a misconfigured endpoint) are applied now.
 */
export async function reconcile(
  deps: Deps,
  days = RECONCILE_DAYS,
): Promise<{ seen: number; applied: number }> {
  const provider = deps.payments;
  const now = await deps.clock.now(deps.db);
  const result = { seen: 0, applied: 0 };
  for await (const event of provider.eventsSince(new Date(now.getTime() - days * 86_400_000))) {
    result.seen++;
    if (await applyProviderEvent(deps, provider.name, event)) result.applied++;
  }
  return result;
}
