import { chargeDueMinutes } from '../billing/metering.ts';
import type { Actor, Deps } from '../platform/context.ts';
import { refOf } from '../platform/events.ts';
import type { Tx } from '../platform/transaction.ts';
import { SYSTEM, endLive, patchSession } from './lifecycle.ts';
import { eventsRepo, type SessionRow } from './repository.ts';

/**
 * The session's clock stops at `at` (a participant away longer than the grace, D8). Minutes
 * begun by then are charged first, which may end the session if the wallet cannot pay. A
 * scheduled session whose deadline comes first is left to the deadline: it ends, not pauses.
 */
export async function pauseClock(deps: Deps, tx: Tx, s: SessionRow, at: Date): Promise<SessionRow> {
  if (s.state !== 'live' || s.paused_at) return s;
  const row = await chargeDueMinutes(deps, tx, s, at);
  if (row.state !== 'live') return row;
  if (row.kind === 'scheduled' && row.ends_at! <= at) return row;
  const paused = await patchSession(tx.db, row, { paused_at: at });
  await eventsRepo.append(tx.db, deps.ids, {
    sessionId: s.id,
    at,
    actor: SYSTEM,
    kind: 'paused',
    data: awayOf(row),
  });
  tx.outbox.push({ type: 'session.paused', sessionId: s.id, pausedAt: at.toISOString() });
  return paused;
}

/**
 * Both are back: the clock runs again from `now`, and the deadline moves on by the pause — paid
 * time left at the pause (on demand) or the time booked (scheduled) is not lost.
 */
export async function resumeClock(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  actor: Actor,
): Promise<SessionRow> {
  const { db: trx, now, outbox } = tx;
  if (s.state !== 'live' || !s.paused_at || s.client_away_since || s.expert_away_since) return s;
  const pausedMs = Math.max(0, now.getTime() - s.paused_at.getTime());
  const later = (d: Date | null) => (d ? new Date(d.getTime() + pausedMs) : null);
  const resumed = await patchSession(trx, s, {
    paused_at: null,
    paused_ms: s.paused_ms + pausedMs,
    ...(s.kind === 'on_demand'
      ? { paid_until: later(s.paid_until) }
      : { ends_at: later(s.ends_at) }),
  });
  await eventsRepo.append(trx, deps.ids, {
    sessionId: s.id,
    at: now,
    actor,
    kind: 'resumed',
    data: { pausedMs },
  });
  outbox.push({
    type: 'session.extended',
    ...refOf(s),
    endsAt: resumed.ends_at?.toISOString() ?? null,
    paidUntil: resumed.paid_until?.toISOString() ?? null,
    minutes: null,
  });
  return resumed;
}

/** When the earliest away participant of a live session left (not before the session started). */
export function awaySince(s: SessionRow): Date | null {
  const times = [s.client_away_since, s.expert_away_since]
    .filter((d): d is Date => d !== null)
    .map((d) => d.getTime());
  if (times.length === 0) return null;
  return new Date(Math.max(Math.min(...times), s.started_at?.getTime() ?? 0));
}

/**
 * The presence rules of a live session at `now` (D8): away past the grace, the clock pauses;
 * away past the rejoin window, the session ends with `participant_lost` at the window's end —
 * the paused time after the grace is never charged.
 */
export async function applyAbsence(deps: Deps, tx: Tx, s: SessionRow): Promise<SessionRow> {
  const { now } = tx;
  const from = awaySince(s);
  if (s.state !== 'live' || !from) return s;
  const pauseAt = new Date(from.getTime() + deps.config.PRESENCE_GRACE_S * 1000);
  const lostAt = new Date(from.getTime() + deps.config.REJOIN_WINDOW_S * 1000);
  let row = s;
  if (!row.paused_at && pauseAt <= now) row = await pauseClock(deps, tx, row, pauseAt);
  if (row.state === 'live' && row.paused_at && lostAt <= now)
    row = await endLive(deps, tx, row, {
      reason: 'participant_lost',
      endedAt: lostAt,
      actor: SYSTEM,
    });
  return row;
}

const awayOf = (s: SessionRow) => ({
  away: [s.client_away_since && 'client', s.expert_away_since && 'expert'].filter(Boolean),
});
