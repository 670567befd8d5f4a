import type { CreateSessionBody, EndReason, ParticipantRole, SessionState } from '@hourglass/protocol';
import type { Updateable } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../db/connect.ts';
import type { SessionsTable } from '../db/schema.ts';
import { actorOf, isOperator, type Actor, type Deps, type Principal } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { presentSession } from './present.ts';
import { eventsRepo, sessionsRepo, tokensRepo, type SessionRow } from './repository.ts';
import { defaultLinkValidUntil, inStartWindow, startWindow } from './rules.ts';
import { transition, type SessionCommand } from './state-machine.ts';
import { issueTokens, resolveJoinToken } from './tokens.ts';

const windowOf = (deps: Deps) => ({ beforeMin: deps.config.START_WINDOW_BEFORE_MIN, afterMin: deps.config.START_WINDOW_AFTER_MIN });

/** The participant role `principal` holds in `s`, if any: by join token for this session, or signed in as one of the two. */
function participantRole(principal: Principal, s: SessionRow): ParticipantRole | null {
  if (principal.kind === 'participant') return principal.sessionId === s.id ? principal.role : null;
  if (principal.kind === 'user') {
    if (principal.userId === s.client_id) return 'client';
    if (principal.userId === s.expert_id) return 'expert';
  }
  return null;
}

function mayRead(principal: Principal, s: SessionRow): boolean {
  return isOperator(principal) || participantRole(principal, s) !== null;
}

/**
 * Applies one state-machine command to a locked row and writes its audit event. A repeated
 * terminal command returns the row unchanged and writes nothing.
 */
async function apply(
  deps: Deps,
  trx: Database,
  s: SessionRow,
  command: SessionCommand,
  actor: Actor,
  at: Date,
  patch: Updateable<SessionsTable> = {},
): Promise<SessionRow> {
  const t = transition(s.state as SessionState, command);
  if (!t.ok) throw new AppError(t.code, undefined, { state: t.state, command: t.command });
  if (!t.changed) return s;
  const updated = await sessionsRepo.update(trx, s, { ...patch, state: t.state });
  // The row is locked FOR UPDATE, so losing this compare-and-set means a bug, not a race.
  if (!updated) throw new Error(`compare-and-set lost on session ${s.id}`);
  deps.metrics.sessionTransitions.inc({ event: command.type, state: t.state });
  await eventsRepo.append(trx, deps.ids, {
    sessionId: s.id,
    at,
    actor,
    kind: pastTense[command.type],
    data: { from: s.state, to: t.state, ...(command.type === 'end' && { reason: command.reason }) },
  });
  return updated;
}

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

async function loadForUpdate(trx: Database, id: string): Promise<SessionRow> {
  return (await sessionsRepo.lock(trx, id)) ?? fail('not_found', 'No such session.');
}

export async function createSession(deps: Deps, principal: Principal, input: z.output<typeof CreateSessionBody>) {
  if (!isOperator(principal)) fail('forbidden');
  return inTransaction(deps, async (trx, now) => {
    const [client, expert] = await Promise.all([
      trx.selectFrom('users').select(['id', 'role']).where('id', '=', input.clientId).executeTakeFirst(),
      trx
        .selectFrom('users as u')
        .innerJoin('expert_profiles as e', 'e.user_id', 'u.id')
        .select(['u.id', 'e.rates', 'e.flat_prices'])
        .where('u.id', '=', input.expertId)
        .executeTakeFirst(),
    ]);
    const invalid = (path: string, message: string) => fail('validation_failed', message, { issues: [{ path, message }] });
    if (!client || client.role !== 'client') invalid('body.clientId', 'not a client');
    if (!expert) return invalid('body.expertId', 'not an expert');
    const rate = expert.rates[input.type];
    if (rate === undefined) invalid('body.type', `the expert does not offer ${input.type} sessions`);

    const scheduledAt = input.scheduledAt ? new Date(input.scheduledAt) : null;
    const duration = input.durationMinutes ?? null;
    let price: number | null = null;
    if (input.kind === 'scheduled') {
      price = expert.flat_prices[String(duration)] ?? invalid('body.durationMinutes', `the expert has no flat price for ${duration} minutes`);
      if (price < deps.config.SLOT_PRICE_MIN || price > deps.config.SLOT_PRICE_MAX) invalid('body.durationMinutes', 'flat price out of the allowed range');
      if (startWindow(scheduledAt!, windowOf(deps)).closesAt < now) invalid('body.scheduledAt', 'the start window has already closed');
    }
    const validUntil = input.linkValidUntil
      ? new Date(input.linkValidUntil)
      : defaultLinkValidUntil({ kind: input.kind, scheduledAt, durationMinutes: duration }, now, {
          ...windowOf(deps),
          linkValidHours: deps.config.LINK_VALID_HOURS,
        });
    if (validUntil <= now) invalid('body.linkValidUntil', 'must be in the future');

    const row: Omit<SessionRow, 'escrow_state' | 'escrow_release_at' | 'disputed_at' | 'dispute_reason' | 'low_balance_warned_at'> = {
      id: deps.ids.uuid(),
      kind: input.kind,
      type: input.type,
      // A host platform creating an on-demand session has already matched the two: it starts accepted.
      state: input.kind === 'scheduled' ? 'booked' : 'accepted',
      end_reason: null,
      client_id: input.clientId,
      expert_id: input.expertId,
      rate_per_minute: input.kind === 'on_demand' ? rate! : null,
      price,
      duration_minutes: duration,
      scheduled_at: scheduledAt,
      started_at: null,
      ends_at: null,
      paid_until: null,
      ended_at: null,
      client_joined_at: null,
      expert_joined_at: null,
      billed_seconds: 0,
      notes: null,
      version: 0,
      created_at: now,
    };
    const { billed_seconds: _b, version: _v, ...insertable } = row;
    await sessionsRepo.insert(trx, insertable);
    await eventsRepo.append(trx, deps.ids, {
      sessionId: row.id,
      at: now,
      actor: actorOf(principal),
      kind: 'created',
      data: { kind: row.kind, type: row.type, state: row.state },
    });
    const links = await issueTokens(deps, trx, row as SessionRow, validUntil, now);
    return { session: presentSession(row as SessionRow, now), links };
  });
}

export async function validateToken(deps: Deps, token: string) {
  const now = await deps.clock.now(deps.db);
  const p = await resolveJoinToken(deps.db, token, now);
  const s = (await sessionsRepo.byId(deps.db, p.sessionId))!;
  const names = await deps.db.selectFrom('users').select(['id', 'name']).where('id', 'in', [s.client_id, s.expert_id]).execute();
  const nameOf = (id: string) => names.find((n) => n.id === id)?.name ?? '';
  const other: ParticipantRole = p.role === 'client' ? 'expert' : 'client';
  const otherId = other === 'client' ? s.client_id : s.expert_id;
  const window = s.scheduled_at ? startWindow(s.scheduled_at, windowOf(deps)) : null;
  return {
    session: presentSession(s, now),
    participant: { role: p.role, userId: p.userId, name: nameOf(p.userId) },
    counterpart: { role: other, userId: otherId, name: nameOf(otherId) },
    startWindow: window && { opensAt: window.opensAt.toISOString(), closesAt: window.closesAt.toISOString() },
    canJoinNow: canJoin(s, now, deps),
  };
}

function canJoin(s: SessionRow, now: Date, deps: Deps): boolean {
  if (s.state === 'live' || s.state === 'accepted') return true;
  if (s.state === 'booked' || s.state === 'open') return inStartWindow(now, s.scheduled_at!, windowOf(deps));
  return false;
}

export async function getSession(deps: Deps, principal: Principal, id: string) {
  const s = (await sessionsRepo.byId(deps.db, id)) ?? fail('not_found', 'No such session.');
  if (!mayRead(principal, s)) fail('forbidden');
  return presentSession(s, await deps.clock.now(deps.db));
}

export async function listEvents(deps: Deps, principal: Principal, id: string) {
  const s = (await sessionsRepo.byId(deps.db, id)) ?? fail('not_found', 'No such session.');
  if (!mayRead(principal, s)) fail('forbidden');
  const rows = await eventsRepo.list(deps.db, id);
  return {
    items: rows.map((e) => ({
      id: e.id,
      sessionId: e.session_id,
      at: e.at.toISOString(),
      actorId: e.actor_id,
      actorRole: e.actor_role as 'system',
      kind: e.kind,
      data: e.data,
    })),
  };
}

/**
 * Joining records attendance (D2). A scheduled session opens on its first join inside the start
 * window; any session goes live when both have joined, and that instant is `started_at`.
 */
export async function joinSession(deps: Deps, principal: Principal, id: string) {
  if (principal.kind !== 'participant') return fail('forbidden', 'Join with your join link.');
  if (principal.sessionId !== id) return fail('forbidden', 'This join link is for another session.');
  return inTransaction(deps, async (trx, now) => {
    let s = await loadForUpdate(trx, id);
    const actor = actorOf(principal);
    if (s.state === 'ended') fail('session_ended');
    if (s.state === 'booked' || s.state === 'open') {
      const w = startWindow(s.scheduled_at!, windowOf(deps));
      if (!inStartWindow(now, s.scheduled_at!, windowOf(deps))) {
        fail('outside_start_window', undefined, { opensAt: w.opensAt.toISOString(), closesAt: w.closesAt.toISOString() });
      }
    }
    if (!['accepted', 'booked', 'open', 'live'].includes(s.state)) fail('invalid_transition', undefined, { state: s.state, command: 'join' });

    const column = principal.role === 'client' ? 'client_joined_at' : 'expert_joined_at';
    const first = s[column] === null;
    if (s.state === 'booked') s = await apply(deps, trx, s, { type: 'open' }, actor, now);
    if (first) s = (await sessionsRepo.update(trx, s, { [column]: now }))!;
    await eventsRepo.append(trx, deps.ids, { sessionId: id, at: now, actor, kind: `${principal.role}_joined`, data: { first } });

    if (s.state !== 'live' && s.client_joined_at && s.expert_joined_at) {
      const endsAt = s.duration_minutes ? new Date(now.getTime() + s.duration_minutes * 60_000) : null;
      await eventsRepo.append(trx, deps.ids, { sessionId: id, at: now, actor: { id: null, role: 'system' }, kind: 'both_joined' });
      s = await apply(deps, trx, s, { type: 'start' }, actor, now, { started_at: now, ends_at: endsAt });
    }
    return presentSession(s, now);
  });
}

function endReasonFor(principal: Principal, s: SessionRow): EndReason {
  const role = participantRole(principal, s);
  if (role === 'client') return 'ended_by_client';
  if (role === 'expert') return 'ended_by_expert';
  return 'ended_by_admin';
}

/** Ends a live session. Ending an ended session returns the same final record (D6). */
export async function endSession(deps: Deps, principal: Principal, id: string, notes: string | undefined) {
  return inTransaction(deps, async (trx, now) => {
    const s = await loadForUpdate(trx, id);
    if (!mayRead(principal, s)) fail('forbidden');
    if (s.state === 'ended') return presentSession(s, now);
    const reason = endReasonFor(principal, s);
    const ended = await apply(deps, trx, s, { type: 'end', reason }, actorOf(principal), now, {
      end_reason: reason,
      ended_at: now,
      ...(notes !== undefined && { notes }),
    });
    return presentSession(ended, now);
  });
}

export async function cancelSession(deps: Deps, principal: Principal, id: string) {
  if (!isOperator(principal)) fail('forbidden');
  return inTransaction(deps, async (trx, now) => {
    const s = await loadForUpdate(trx, id);
    const cancelled = await apply(deps, trx, s, { type: 'cancel' }, actorOf(principal), now);
    return presentSession(cancelled, now);
  });
}

/** New links for both participants; the old ones stop working at once. */
export async function reissueTokens(deps: Deps, principal: Principal, id: string) {
  if (!isOperator(principal)) fail('forbidden');
  return inTransaction(deps, async (trx, now) => {
    const s = await loadForUpdate(trx, id);
    if (s.state === 'ended') fail('session_ended');
    await tokensRepo.revokeActive(trx, id, null, now);
    const validUntil = defaultLinkValidUntil({ kind: s.kind, scheduledAt: s.scheduled_at, durationMinutes: s.duration_minutes }, now, {
      ...windowOf(deps),
      linkValidHours: deps.config.LINK_VALID_HOURS,
    });
    const links = await issueTokens(deps, trx, s, validUntil > now ? validUntil : new Date(now.getTime() + 3_600_000), now);
    await eventsRepo.append(trx, deps.ids, { sessionId: id, at: now, actor: actorOf(principal), kind: 'tokens_reissued' });
    return links;
  });
}

export async function revokeToken(deps: Deps, principal: Principal, id: string, role: ParticipantRole) {
  if (!isOperator(principal)) fail('forbidden');
  await inTransaction(deps, async (trx, now) => {
    await loadForUpdate(trx, id);
    await tokensRepo.revokeActive(trx, id, role, now);
    await eventsRepo.append(trx, deps.ids, { sessionId: id, at: now, actor: actorOf(principal), kind: 'token_revoked', data: { role } });
  });
}
