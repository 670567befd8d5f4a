import { chargeDueBatch } from '../billing/batch.ts';
import { chargeDueMinutes } from '../billing/metering.ts';
import { releaseEscrow } from '../billing/escrow.ts';
import type { Deps } from '../platform/context.ts';
import { sweep, type TickResult } from './sweep.ts';

/**
 * E2: every live on-demand session whose paid time has run out is charged its next minute, or
 * ended. The fast path charges a batch per statement; what it leaves (a wallet that cannot pay,
 * a second session of one client) goes through the per-row path, which catches up or ends it.
 */
export async function billingTick(deps: Deps, batch = 100): Promise<TickResult> {
  const result = { processed: 0, failed: 0 };
  for (;;) {
    const now = await deps.clock.now(deps.db);
    const { claimed, unpaid, events } = await chargeDueBatch(deps, deps.db, now, batch);
    deps.events.publish(events);
    deps.metrics.sweepRows.inc({ sweep: 'billing' }, claimed);
    result.processed += claimed - unpaid.length;
    if (unpaid.length > 0) {
      const slow = await sweep(
        deps,
        'billing_row',
        (trx, at, limit) =>
          trx.selectFrom('sessions').selectAll()
            .where('id', 'in', unpaid).where('state', '=', 'live').where('paid_until', '<=', at).where('paused_at', 'is', null)
            .limit(limit).forUpdate().skipLocked().execute(),
        // Catches up minute by minute (each at its own start), or ends the session at paid_until.
        (trx, s, at, outbox) => chargeDueMinutes(deps, trx, s, at, outbox),
        batch,
      );
      result.processed += slow.processed;
      result.failed += slow.failed;
      // A row that keeps failing must not spin this loop: stop and let the next tick retry it.
      if (slow.failed > 0) return result;
    }
    // A pass charges one minute per session: a session further behind is due again, so go on
    // until a pass finds nothing due.
    if (claimed === 0) return result;
  }
}

/** E5: escrow held past its release time (and not disputed) goes to the expert. */
export const escrowReleaseTick = (deps: Deps, batch = 100) =>
  sweep(
    deps,
    'escrow_release',
    (trx, now, limit) =>
      trx.selectFrom('sessions').selectAll()
        .where('escrow_state', '=', 'held').where('escrow_release_at', '<=', now)
        .orderBy('escrow_release_at').limit(limit).forUpdate().skipLocked().execute(),
    (trx, s, now, outbox) => releaseEscrow(deps, trx, s, now, outbox),
    batch,
  );
