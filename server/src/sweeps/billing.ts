import { chargeDueBatch } from '../billing/batch.ts';
import { chargeDueMinutes } from '../billing/metering.ts';
import { releaseEscrow } from '../billing/escrow.ts';
import type { Deps } from '../platform/context.ts';
import type { Tx } from '../platform/transaction.ts';
import { applyAbsence } from '../sessions/pause.ts';
import type { SessionRow } from '../sessions/repository.ts';
import { sweep, type TickResult } from './sweep.ts';

/**
 * E2: every live on-demand session whose paid time has run out is charged its next minute, or
 * ended. The fast path charges a batch per statement; what it leaves (a wallet that cannot pay,
 * a second session of one client, a session with someone away) goes through the per-row path,
 * which applies the presence rules first and then catches up or ends it.
 */
export async function billingTick(deps: Deps, batch = 100): Promise<TickResult> {
  const result = { processed: 0, failed: 0 };
  const add = (r: TickResult) => {
    result.processed += r.processed;
    result.failed += r.failed;
  };
  for (;;) {
    const now = await deps.clock.now(deps.db);
    const { claimed, unpaid, events } = await chargeDueBatch(deps, deps.db, now, batch);
    deps.events.publish(events);
    deps.metrics.sweepRows.inc({ sweep: 'billing' }, claimed);
    result.processed += claimed - unpaid.length;
    if (unpaid.length > 0) {
      add(
        await sweep(deps, {
          name: 'billing_row',
          claim: (tx, limit) => dueRows(tx, limit).where('id', 'in', unpaid).execute(),
          work: chargeRow(deps),
          batch,
        }),
      );
      // A row that keeps failing must not spin this loop: stop and let the next tick retry it.
      if (result.failed > 0) return result;
    }
    // A pass charges one minute per session: a session further behind is due again, so go on
    // until a pass finds nothing due.
    if (claimed === 0) break;
  }
  // The fast path leaves out sessions with someone away (db/functions/hg_charge.sql): whether their clock
  // stopped before the minute began is for the presence rules to say.
  add(
    await sweep(deps, {
      name: 'billing_away',
      claim: (tx, limit) =>
        dueRows(tx, limit)
          .where('kind', '=', 'on_demand')
          .where((eb) =>
            eb.or([
              eb('client_away_since', 'is not', null),
              eb('expert_away_since', 'is not', null),
            ]),
          )
          .execute(),
      work: chargeRow(deps),
      batch,
    }),
  );
  return result;
}

/** Live sessions whose next minute has begun and whose clock runs, locked (SKIP LOCKED). */
const dueRows = ({ db, now }: Tx, limit: number) =>
  db
    .selectFrom('sessions')
    .selectAll()
    .where('state', '=', 'live')
    .where('paid_until', '<=', now)
    .where('paused_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked();

/**
 * The per-row path: the presence rules at `now` first (a participant away past the grace stops
 * the clock at left + grace), then every minute begun before that is charged, each at its own
 * start, or the session ends at paid_until.
 */
const chargeRow = (deps: Deps) => async (tx: Tx, s: SessionRow) =>
  chargeDueMinutes(deps, tx, await applyAbsence(deps, tx, s));

/** E5: escrow held past its release time (and not disputed) goes to the expert. */
export const escrowReleaseTick = (deps: Deps, batch = 100) =>
  sweep(deps, {
    name: 'escrow_release',
    claim: ({ db, now }, limit) =>
      db
        .selectFrom('sessions')
        .selectAll()
        .where('escrow_state', '=', 'held')
        .where('escrow_release_at', '<=', now)
        .orderBy('escrow_release_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute(),
    work: (tx, s) => releaseEscrow(deps, tx, s),
    batch,
  });
