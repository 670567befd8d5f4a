import { sql } from 'kysely';
import type { Database } from '../db/connect.ts';
import { chargeDueBatch } from '../billing/batch.ts';
import { chargeDueMinutes } from '../billing/metering.ts';
import { releaseEscrow } from '../billing/escrow.ts';
import type { Deps } from '../platform/context.ts';
import type { DomainEvent } from '../platform/events.ts';
import { inTransactionWithEvents } from '../platform/transaction.ts';
import type { SessionRow } from '../sessions/repository.ts';
import { SYSTEM, endLive } from '../sessions/lifecycle.ts';

export interface TickResult {
  processed: number;
  failed: number;
}

/**
 * One pass over due work of one kind: rows are claimed with FOR UPDATE SKIP LOCKED, so any
 * number of nodes can run the same sweep and none does a row twice. Each row runs in its own
 * savepoint: one bad row is logged and skipped, not a poison pill for the batch. Passes repeat
 * while they find a full batch.
 */
async function sweep(
  deps: Deps,
  name: string,
  claim: (trx: Database, now: Date, limit: number) => Promise<SessionRow[]>,
  work: (trx: Database, s: SessionRow, now: Date, outbox: DomainEvent[]) => Promise<unknown>,
  batch: number,
): Promise<TickResult> {
  const result = { processed: 0, failed: 0 };
  for (;;) {
    const claimed = await inTransactionWithEvents(deps, async (trx, now, outbox) => {
      const rows = await claim(trx, now, batch);
      for (const s of rows) {
        await sql`savepoint sweep_row`.execute(trx);
        const eventsBefore = outbox.length;
        try {
          await work(trx, s, now, outbox);
          await sql`release savepoint sweep_row`.execute(trx);
          result.processed++;
        } catch (err) {
          await sql`rollback to savepoint sweep_row`.execute(trx);
          // Its events describe work that was just rolled back: they must not be published.
          outbox.length = eventsBefore;
          result.failed++;
          deps.log.error({ err, sweep: name, sessionId: s.id }, 'sweep row failed');
        }
      }
      return rows.length;
    });
    deps.metrics.sweepRows.inc({ sweep: name }, claimed);
    if (claimed < batch || result.failed > 0) return result;
  }
}

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
            .where('id', 'in', unpaid).where('state', '=', 'live').where('paid_until', '<=', at)
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

/** D5: a live scheduled session ends at its deadline, `ends_at`, however late the sweep gets there. */
export const deadlineTick = (deps: Deps, batch = 100) =>
  sweep(
    deps,
    'deadline',
    (trx, now, limit) =>
      trx.selectFrom('sessions').selectAll()
        .where('state', '=', 'live').where('kind', '=', 'scheduled').where('ends_at', '<=', now)
        .orderBy('ends_at').limit(limit).forUpdate().skipLocked().execute(),
    (trx, s, _now, outbox) => endLive(deps, trx, s, 'time_up', s.ends_at!, SYSTEM, outbox),
    batch,
  );

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

/** All sweeps, once. The sweeper role calls this on an interval; tests call it after moving the clock. */
export async function runSweeps(deps: Deps) {
  return {
    deadline: await deadlineTick(deps),
    billing: await billingTick(deps),
    escrowRelease: await escrowReleaseTick(deps),
  };
}
