import { chargeDueBatch } from '../billing/batch.ts';
import { chargeDueMinutes } from '../billing/metering.ts';
import { releaseEscrow } from '../billing/escrow.ts';
import type { Deps } from '../platform/context.ts';
import { sweep, type TickResult } from './sweep.ts';
import { absenceTick, nodeExpiryTick } from './presence.ts';
import { SYSTEM, endLive } from '../sessions/lifecycle.ts';
import { settleNoShow } from '../sessions/service.ts';
import { expireRequest } from '../booking/requests.ts';

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

/** D5: a live scheduled session ends at its deadline, `ends_at`, however late the sweep gets there. */
export const deadlineTick = (deps: Deps, batch = 100) =>
  sweep(
    deps,
    'deadline',
    (trx, now, limit) =>
      trx.selectFrom('sessions').selectAll()
        .where('state', '=', 'live').where('kind', '=', 'scheduled').where('ends_at', '<=', now)
        // A paused clock has not reached its deadline: it moves on by the pause at resume.
        .where('paused_at', 'is', null)
        .orderBy('ends_at').limit(limit).forUpdate().skipLocked().execute(),
    (trx, s, _now, outbox) => endLive(deps, trx, s, 'time_up', s.ends_at!, SYSTEM, outbox),
    batch,
  );

/**
 * B5: a scheduled session whose start window has closed without both participants is a
 * no-show — of the expert if the expert never joined (the client is refunded), else of the client.
 */
export const noShowTick = (deps: Deps, batch = 100) =>
  sweep(
    deps,
    'no_show',
    (trx, now, limit) =>
      trx.selectFrom('sessions').selectAll()
        .where('state', 'in', ['booked', 'open'])
        .where('scheduled_at', '<', new Date(now.getTime() - deps.config.START_WINDOW_AFTER_MIN * 60_000))
        .orderBy('scheduled_at').limit(limit).forUpdate().skipLocked().execute(),
    (trx, s, now, outbox) => settleNoShow(deps, trx, s, s.expert_joined_at ? 'client' : 'expert', SYSTEM, now, outbox),
    batch,
  );

/** C2: on-demand requests not answered by their deadline expire at it. */
export const requestExpiryTick = (deps: Deps, batch = 100) =>
  sweep(
    deps,
    'request_expiry',
    (trx, now, limit) =>
      trx.selectFrom('sessions').selectAll()
        .where('state', '=', 'requested').where('request_expires_at', '<=', now)
        .orderBy('request_expires_at').limit(limit).forUpdate().skipLocked().execute(),
    (trx, s, _now, outbox) => expireRequest(deps, trx, s, outbox),
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
    // Presence first: a clock that paused before its deadline or its next minute is not ended or charged.
    nodes: await nodeExpiryTick(deps),
    absence: await absenceTick(deps),
    deadline: await deadlineTick(deps),
    noShow: await noShowTick(deps),
    requests: await requestExpiryTick(deps),
    billing: await billingTick(deps),
    escrowRelease: await escrowReleaseTick(deps),
  };
}
