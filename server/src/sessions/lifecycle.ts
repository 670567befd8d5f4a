import type { EndReason } from '@hourglass/protocol';
import type { Updateable } from 'kysely';
import type { Database } from '../db/connect.ts';
import type { SessionsTable } from '../db/schema.ts';
import type { Actor, Deps } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { refOf } from '../platform/events.ts';
import type { Tx } from '../platform/transaction.ts';
import { eventsRepo, sessionsRepo, type SessionRow } from './repository.ts';
import { transition, type SessionCommand } from './state-machine.ts';

export const SYSTEM: Actor = { id: null, role: 'system' };

const pastTense: Record<SessionCommand['type'], string> = {
  accept: 'accepted',
  decline: 'declined',
  expire: 'expired',
  cancel: 'cancelled',
  open: 'opened',
  start: 'started',
  end: 'ended',
  no_show: 'no_show',
};

export async function loadForUpdate(trx: Database, id: string): Promise<SessionRow> {
  return (await sessionsRepo.lock(trx, id)) ?? fail('not_found', 'No such session.');
}

/** Writes a patch that is not a state change (attendance, billing progress) with compare-and-set. */
export async function patchSession(
  trx: Database,
  s: SessionRow,
  patch: Updateable<SessionsTable>,
): Promise<SessionRow> {
  const updated = await sessionsRepo.update(trx, s, patch);
  // Rows are locked FOR UPDATE before any change, so losing this compare-and-set means a bug.
  if (!updated) throw new Error(`compare-and-set lost on session ${s.id}`);
  return updated;
}

/** A state change: the command, who made it, when (default: the transaction's instant), what else changes, what the audit event adds. */
export interface Change {
  command: SessionCommand;
  actor: Actor;
  at?: Date;
  patch?: Updateable<SessionsTable>;
  data?: Record<string, unknown>;
}

/**
 * Applies one state-machine command to a locked row and writes its audit event. A repeated
 * terminal command returns the row unchanged and writes nothing.
 */
export async function apply(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  change: Change,
): Promise<SessionRow> {
  const { command, actor, at = tx.now, patch = {}, data = {} } = change;
  const t = transition(s.state, command);
  if (!t.ok) throw new AppError(t.code, undefined, { state: t.state, command: t.command });
  if (!t.changed) return s;
  const updated = await patchSession(tx.db, s, { ...patch, state: t.state });
  deps.metrics.sessionTransitions.inc({ event: command.type, state: t.state });
  await eventsRepo.append(tx.db, deps.ids, {
    sessionId: s.id,
    at,
    actor,
    kind: pastTense[command.type],
    data: {
      from: s.state,
      to: t.state,
      ...(command.type === 'end' && { reason: command.reason }),
      ...data,
    },
  });
  return updated;
}

/** Both have joined: the clock starts now. On-demand sessions are paid up to `started_at` (nothing yet). */
export async function startLive(deps: Deps, tx: Tx, s: SessionRow, actor: Actor) {
  const { now } = tx;
  const endsAt = s.duration_minutes ? new Date(now.getTime() + s.duration_minutes * 60_000) : null;
  const live = await apply(deps, tx, s, {
    command: { type: 'start' },
    actor,
    patch: { started_at: now, ends_at: endsAt, ...(s.kind === 'on_demand' && { paid_until: now }) },
  });
  tx.outbox.push({
    type: 'session.started',
    ...refOf(s),
    startedAt: now.toISOString(),
    endsAt: endsAt?.toISOString() ?? null,
  });
  return live;
}

/**
 * The one way a live session ends. `endedAt` may be earlier than now (a deadline or the paid
 * time the sweep reaches late). A scheduled session's escrow then waits out the dispute window.
 */
export async function endLive(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  end: { reason: EndReason; endedAt: Date; actor: Actor; patch?: Updateable<SessionsTable> },
): Promise<SessionRow> {
  const { reason, actor, patch = {} } = end;
  let { endedAt } = end;
  if (s.state === 'ended') return s;
  // A session's own time never runs backwards: a clock stepped back (NTP) must not record an end
  // before the session started, or before the start of a minute it has already been charged.
  const reached = Math.max(
    s.started_at?.getTime() ?? 0,
    s.paid_until && s.billed_seconds > 0 ? s.paid_until.getTime() - 60_000 : 0,
  );
  if (endedAt.getTime() < reached) endedAt = new Date(reached);
  const releaseAt =
    s.escrow_state === 'held'
      ? new Date(endedAt.getTime() + deps.config.ESCROW_RELEASE_HOURS * 3_600_000)
      : undefined;
  const ended = await apply(deps, tx, s, {
    command: { type: 'end', reason },
    actor,
    at: endedAt,
    patch: {
      ...patch,
      end_reason: reason,
      ended_at: endedAt,
      ...(releaseAt && { escrow_release_at: releaseAt }),
    },
  });
  tx.outbox.push({ type: 'session.ended', ...refOf(s), reason, endedAt: endedAt.toISOString() });
  return ended;
}
