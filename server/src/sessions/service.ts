import type { CreateSessionBody, EndReason, ParticipantRole } from '@hourglass/protocol';
import type { z } from 'zod';
import { holdEscrow, refundEscrow } from '../billing/escrow.ts';
import { refundAmount, refundPercent } from '../booking/policy.ts';
import { chargeDueMinutes, chargeNextMinute, prepareMetering } from '../billing/metering.ts';
import { actorOf, isOperator, type Actor, type Deps, type Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { refOf } from '../platform/events.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';
import { mayRead, otherSide, participantRole } from './access.ts';
import { applyAbsence } from './pause.ts';
import { SYSTEM, apply, endLive, loadForUpdate, patchSession, startLive } from './lifecycle.ts';
import { presentSession } from './present.ts';
import { eventsRepo, sessionsRepo, tokensRepo, type SessionRow } from './repository.ts';
import { defaultLinkValidUntil, inStartWindow, startWindow } from './rules.ts';
import { issueTokens, resolveJoinToken } from './tokens.ts';

const windowOf = (deps: Deps) => ({
  beforeMin: deps.config.START_WINDOW_BEFORE_MIN,
  afterMin: deps.config.START_WINDOW_AFTER_MIN,
});
export const linkSettings = (deps: Deps) => ({
  ...windowOf(deps),
  linkValidHours: deps.config.LINK_VALID_HOURS,
  escrowReleaseHours: deps.config.ESCROW_RELEASE_HOURS,
});

export async function createSession(
  deps: Deps,
  principal: Principal,
  input: z.output<typeof CreateSessionBody>,
) {
  if (!isOperator(principal)) fail('forbidden');
  // The endpoint's response schema keeps `session` and `links` of what insertSession returns.
  return inTransaction(deps, (tx) => insertSession(deps, tx, input, { actor: actorOf(principal) }));
}

/** A client's booking (booking/book.ts): its price, and the time it holds against every other booking. */
export interface BookingTerms {
  price: number;
  holds: { start: Date; end: Date };
  /** Paid through checkout: the time is held until then, and the escrow is funded when the payment arrives. */
  paymentDueAt?: Date;
}

/**
 * Creates a session, its escrow hold (scheduled: paid before it stands) and both join links, in
 * the caller's transaction. A booking's held time is checked by the database against every
 * other booking of the expert (migration 010).
 */
export async function insertSession(
  deps: Deps,
  tx: Tx,
  input: z.output<typeof CreateSessionBody>,
  how: {
    actor: Actor;
    booking?: BookingTerms;
    /** An on-demand request (booking/requests.ts): `requested` until the expert answers (the links work from then). */
    request?: { expiresAt: Date };
  },
) {
  const { db: trx, now } = tx;
  const { actor, booking, request } = how;
  const [client, expert] = await Promise.all([
    trx
      .selectFrom('users')
      .select(['id', 'role'])
      .where('id', '=', input.clientId)
      .executeTakeFirst(),
    trx
      .selectFrom('users as u')
      .innerJoin('expert_profiles as e', 'e.user_id', 'u.id')
      .select(['u.id', 'e.rates', 'e.flat_prices'])
      .where('u.id', '=', input.expertId)
      .executeTakeFirst(),
  ]);
  const invalid = (path: string, message: string) =>
    fail('validation_failed', message, { issues: [{ path, message }] });
  if (!client || client.role !== 'client') invalid('body.clientId', 'not a client');
  if (!expert) return invalid('body.expertId', 'not an expert');
  const rate = expert.rates[input.type];
  if (rate === undefined) invalid('body.type', `the expert does not offer ${input.type} sessions`);

  const scheduledAt = input.scheduledAt ? new Date(input.scheduledAt) : null;
  const duration = input.durationMinutes ?? null;
  let price: number | null = null;
  if (input.kind === 'scheduled') {
    price =
      booking?.price ??
      expert.flat_prices[String(duration)] ??
      invalid('body.durationMinutes', `the expert has no flat price for ${duration} minutes`);
    if (price < deps.config.SLOT_PRICE_MIN || price > deps.config.SLOT_PRICE_MAX)
      invalid('body.durationMinutes', 'flat price out of the allowed range');
    if (startWindow(scheduledAt!, windowOf(deps)).closesAt < now)
      invalid('body.scheduledAt', 'the start window has already closed');
  }
  const validUntil = input.linkValidUntil
    ? new Date(input.linkValidUntil)
    : defaultLinkValidUntil(
        { kind: input.kind, scheduledAt, durationMinutes: duration },
        now,
        linkSettings(deps),
      );
  if (validUntil <= now) invalid('body.linkValidUntil', 'must be in the future');

  let row: SessionRow = {
    id: deps.ids.uuid(),
    kind: input.kind,
    type: input.type,
    // A host platform creating an on-demand session has already matched the two: it starts accepted.
    state: input.kind === 'scheduled' ? 'booked' : request ? 'requested' : 'accepted',
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
    escrow_state: null,
    escrow_release_at: null,
    disputed_at: null,
    dispute_reason: null,
    chat_seq: 0,
    low_balance_warned_at: null,
    client_away_since: null,
    expert_away_since: null,
    paused_at: null,
    paused_ms: 0,
    booked_range: booking
      ? `[${booking.holds.start.toISOString()},${booking.holds.end.toISOString()})`
      : null,
    request_expires_at: request?.expiresAt ?? null,
    payment_due_at: booking?.paymentDueAt ?? null,
  };
  const { billed_seconds: _b, version: _v, ...insertable } = row;
  await sessionsRepo.insert(trx, insertable);
  // The price is paid before the booking stands (B3, E5): wallet → this session's escrow.
  if (row.kind === 'scheduled' && !row.payment_due_at) row = await holdEscrow(deps, tx, row);
  await eventsRepo.append(trx, deps.ids, {
    sessionId: row.id,
    at: now,
    actor,
    kind: 'created',
    data: { kind: row.kind, type: row.type, state: row.state, ...(booking && { booked: true }) },
  });
  const links = await issueTokens(deps, tx, row, { validUntil });
  return { row, session: presentSession(row, now), links };
}

export async function validateToken(deps: Deps, token: string) {
  const now = await deps.clock.now(deps.db);
  const p = await resolveJoinToken(deps.db, token, now);
  const s = (await sessionsRepo.byId(deps.db, p.sessionId))!;
  const names = await deps.db
    .selectFrom('users')
    .select(['id', 'name'])
    .where('id', 'in', [s.client_id, s.expert_id])
    .execute();
  const nameOf = (id: string) => names.find((n) => n.id === id)?.name ?? '';
  const other = otherSide(p.role);
  const otherId = other === 'client' ? s.client_id : s.expert_id;
  return {
    session: presentSession(s, now),
    participant: { role: p.role, userId: p.userId, name: nameOf(p.userId) },
    counterpart: { role: other, userId: otherId, name: nameOf(otherId) },
    ...joinView(deps, s, now),
  };
}

/** When a participant can come in: the start window (scheduled sessions) and whether it is now. */
export function joinView(deps: Deps, s: SessionRow, now: Date) {
  const window = s.scheduled_at ? startWindow(s.scheduled_at, windowOf(deps)) : null;
  return {
    startWindow: window && {
      opensAt: window.opensAt.toISOString(),
      closesAt: window.closesAt.toISOString(),
    },
    canJoinNow: canJoin(s, now, deps),
  };
}

function canJoin(s: SessionRow, now: Date, deps: Deps): boolean {
  if (s.state === 'live' || s.state === 'accepted') return true;
  if (s.payment_due_at) return false;
  if (s.state === 'booked' || s.state === 'open')
    return inStartWindow(now, s.scheduled_at!, windowOf(deps));
  return false;
}

export async function getSession(deps: Deps, principal: Principal, id: string) {
  const s = (await sessionsRepo.byId(deps.db, id)) ?? fail('not_found', 'No such session.');
  if (!mayRead(principal, s)) fail('forbidden');
  return presentSession(s, await deps.clock.now(deps.db));
}

/**
 * The audit trail (D10): the session's own events, and its charges, which the ledger records
 * (each minute's transfer says when, how much and which minute) and which are not stored twice.
 */
export async function listEvents(deps: Deps, principal: Principal, id: string) {
  const s = (await sessionsRepo.byId(deps.db, id)) ?? fail('not_found', 'No such session.');
  if (!mayRead(principal, s)) fail('forbidden');
  const [rows, charges] = await Promise.all([
    eventsRepo.list(deps.db, id),
    deps.db
      .selectFrom('ledger_transfers')
      .select(['id', 'amount', 'created_at'])
      .where('session_id', '=', id)
      .where('kind', '=', 'charge')
      .orderBy('seq')
      .execute(),
  ]);
  const items = [
    ...rows.map((e) => ({
      id: e.id,
      sessionId: e.session_id,
      at: e.at,
      actorId: e.actor_id,
      actorRole: e.actor_role as 'system',
      kind: e.kind,
      data: e.data,
    })),
    ...charges.map((c) => ({
      id: c.id,
      sessionId: id,
      at: c.created_at,
      actorId: null,
      actorRole: 'system' as const,
      kind: 'charged',
      data: { minute: Number(c.id.split(':')[2]), amount: Number(c.amount) },
    })),
  ];
  // Stable: at one instant, the session's own events (e.g. `started`) come before its charge.
  items.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { items: items.map((e) => ({ ...e, at: e.at.toISOString() })) };
}

/**
 * Joining records attendance (D2). A scheduled session opens on its first join inside the start
 * window; any session goes live when both have joined, and that instant is `started_at`.
 */
export async function joinSession(deps: Deps, principal: Principal, id: string) {
  return inTransaction(deps, async (tx) =>
    presentSession(await joinIn(deps, tx, principal, id), tx.now),
  );
}

/**
 * A participant joins, inside the caller's transaction (the realtime handshake joins and
 * arrives in one): the first join of each side is recorded, and when both have joined the
 * session goes live. Returns the session row as it now is, locked.
 */
export async function joinIn(
  deps: Deps,
  tx: Tx,
  principal: Principal,
  id: string,
): Promise<SessionRow> {
  const { db: trx, now } = tx;
  if (principal.kind !== 'participant') return fail('forbidden', 'Join with your join link.');
  if (principal.sessionId !== id)
    return fail('forbidden', 'This join link is for another session.');
  // A participant coming back ends an absence: the presence rules settle it first, at the time
  // they give (pause at left + grace, end at left + window), whether a sweep has come by or not.
  let s = await applyAbsence(deps, tx, await loadForUpdate(trx, id));
  const actor = actorOf(principal);
  if (s.state === 'ended') fail('session_ended');
  if (s.payment_due_at)
    fail('invalid_transition', 'The booking has not been paid yet.', {
      state: s.state,
      command: 'join',
    });
  if (
    (s.state === 'booked' || s.state === 'open') &&
    !inStartWindow(now, s.scheduled_at!, windowOf(deps))
  ) {
    const w = startWindow(s.scheduled_at!, windowOf(deps));
    fail('outside_start_window', undefined, {
      opensAt: w.opensAt.toISOString(),
      closesAt: w.closesAt.toISOString(),
    });
  }
  if (!['accepted', 'booked', 'open', 'live'].includes(s.state))
    fail('invalid_transition', undefined, { state: s.state, command: 'join' });

  const column = principal.role === 'client' ? 'client_joined_at' : 'expert_joined_at';
  const first = s[column] === null;
  if (s.state === 'booked') s = await apply(deps, tx, s, { command: { type: 'open' }, actor });
  if (first) s = await patchSession(trx, s, { [column]: now });
  await eventsRepo.append(trx, deps.ids, {
    sessionId: id,
    at: now,
    actor,
    kind: `${principal.role}_joined`,
    data: { first },
  });

  if (s.state !== 'live' && s.client_joined_at && s.expert_joined_at) {
    await eventsRepo.append(trx, deps.ids, {
      sessionId: id,
      at: now,
      actor: SYSTEM,
      kind: 'both_joined',
    });
    s = await startLive(deps, tx, s, actor);
    // Minute 1 is paid the moment the clock starts (E2); a wallet that cannot pay it ends the session.
    if (s.kind === 'on_demand') {
      await prepareMetering(deps, tx, s);
      s = await chargeNextMinute(deps, tx, s);
    }
  }
  return s;
}

function endReasonFor(principal: Principal, s: SessionRow): EndReason {
  const role = participantRole(principal, s);
  if (role === 'client') return 'ended_by_client';
  if (role === 'expert') return 'ended_by_expert';
  return 'ended_by_admin';
}

/** Ends a live session. Ending an ended session returns the same final record (D6). */
export async function endSession(
  deps: Deps,
  principal: Principal,
  id: string,
  notes: string | undefined,
) {
  return inTransaction(deps, async (tx) => {
    const { db: trx, now } = tx;
    const locked = await loadForUpdate(trx, id);
    if (!mayRead(principal, locked)) fail('forbidden');
    // Time used since the sweep last came by is paid before the end (or the wallet ran out
    // first) — up to where the presence rules stopped the clock, if someone is away.
    const s = await chargeDueMinutes(deps, tx, await applyAbsence(deps, tx, locked));
    if (s.state === 'ended') return presentSession(s, now);
    const reason = endReasonFor(principal, s);
    // The current minute was paid at its start and is not refunded (per-minute billing rounds up).
    const ended = await endLive(deps, tx, s, {
      reason,
      endedAt: now,
      actor: actorOf(principal),
      patch: notes === undefined ? {} : { notes },
    });
    return presentSession(ended, now);
  });
}

/**
 * B5: either participant or an operator cancels a session not yet live. A scheduled session's
 * escrow goes back to the client by the refund policy (booking/policy.ts) — all of it when the
 * expert or an operator cancels — and what is not refunded goes to the expert.
 */
export async function cancelSession(deps: Deps, principal: Principal, id: string) {
  return inTransaction(deps, async (tx) => {
    const { db: trx, now, outbox } = tx;
    const s = await loadForUpdate(trx, id);
    const by = isOperator(principal) ? 'operator' : participantRole(principal, s);
    if (!by) return fail('forbidden');
    const percent = s.scheduled_at
      ? refundPercent(by, s.scheduled_at, now, refundPolicy(deps))
      : 100;
    let cancelled = await apply(deps, tx, s, {
      command: { type: 'cancel' },
      actor: actorOf(principal),
      data: { by, refundPercent: percent },
    });
    if (cancelled !== s)
      outbox.push({ type: 'session.cancelled', ...refOf(s), by, refundPercent: percent });
    if (cancelled !== s && cancelled.escrow_state === 'held') {
      const refunded = refundAmount(Number(cancelled.price), percent);
      cancelled = await refundEscrow(deps, tx, cancelled, {
        amount: refunded,
        reason: 'cancelled',
      });
    }
    return presentSession(cancelled, now);
  });
}

const refundPolicy = (deps: Deps) => ({
  fullHours: deps.config.CANCEL_FULL_REFUND_HOURS,
  partialHours: deps.config.CANCEL_PARTIAL_REFUND_HOURS,
  partialPercent: deps.config.CANCEL_PARTIAL_REFUND_PERCENT,
});

/** An operator settles a scheduled session one side did not attend (B5): see settleNoShow. */
export async function markNoShow(
  deps: Deps,
  principal: Principal,
  id: string,
  absent: ParticipantRole,
) {
  if (!isOperator(principal)) fail('forbidden');
  return inTransaction(deps, async (tx) => {
    const { db: trx, now } = tx;
    const s = await loadForUpdate(trx, id);
    return presentSession(
      await settleNoShow(deps, tx, s, { absent, actor: actorOf(principal) }),
      now,
    );
  });
}

/**
 * Ends a scheduled session that one side missed. Expert absent: the client gets everything
 * back at once and the expert's no-show count grows. Client absent: the expert kept the time
 * free, so the escrow is released after the usual dispute window.
 */
export async function settleNoShow(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  noShow: { absent: ParticipantRole; actor: Actor },
) {
  const { absent, actor } = noShow;
  const { db: trx, now, outbox } = tx;
  let row = await apply(deps, tx, s, { command: { type: 'no_show' }, actor, data: { absent } });
  if (row === s) return row;
  outbox.push({ type: 'session.no_show', ...refOf(s), absent });
  if (absent === 'expert') {
    await trx
      .updateTable('expert_profiles')
      .set((eb) => ({ no_show_count: eb('no_show_count', '+', 1) }))
      .where('user_id', '=', s.expert_id)
      .execute();
  }
  if (row.escrow_state === 'held') {
    row =
      absent === 'expert'
        ? await refundEscrow(deps, tx, row, { reason: 'expert_no_show' })
        : await patchSession(trx, row, {
            escrow_release_at: new Date(
              now.getTime() + deps.config.ESCROW_RELEASE_HOURS * 3_600_000,
            ),
          });
  }
  return row;
}

/**
 * A participant signed in to the web app gets a fresh join link for themself (the expert of a
 * booked session, a client on another device); their previous link stops working at once.
 */
export async function myJoinLink(deps: Deps, principal: Principal, id: string) {
  return inTransaction(deps, async (tx) => {
    const { db: trx } = tx;
    const s = await loadForUpdate(trx, id);
    const role = principal.kind === 'user' ? participantRole(principal, s) : null;
    if (!role)
      return fail('forbidden', 'Only its two participants, signed in, get links to a session.');
    if (s.state === 'ended') fail('session_ended');
    return issueOwnLink(deps, tx, s, { role, actor: actorOf(principal) });
  });
}

/** One participant's fresh link, in the caller's transaction (their previous one is revoked). */
export async function issueOwnLink(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  by: { role: ParticipantRole; actor: Actor },
) {
  const { role, actor } = by;
  const links = await renewLinks(deps, tx, s, [role]);
  await eventsRepo.append(tx.db, deps.ids, {
    sessionId: s.id,
    at: tx.now,
    actor,
    kind: 'link_issued',
    data: { role },
  });
  return links[role];
}

/**
 * Revokes the active links of `roles` and issues new ones, valid as long as the session needs
 * (at least an hour). Connections the old links opened are closed (A3: a revoked link stops
 * working at once, not at the next reconnect).
 */
async function renewLinks(deps: Deps, tx: Tx, s: SessionRow, roles: readonly ParticipantRole[]) {
  const { now } = tx;
  await revokeLinks(tx, s.id, roles);
  const validUntil = defaultLinkValidUntil(
    { kind: s.kind, scheduledAt: s.scheduled_at, durationMinutes: s.duration_minutes },
    now,
    linkSettings(deps),
  );
  return issueTokens(deps, tx, s, {
    validUntil: validUntil > now ? validUntil : new Date(now.getTime() + 3_600_000),
    roles,
  });
}

/**
 * Revokes the active links of `roles`, the session locked. There is at most one active link per
 * side, so every connection a side holds was opened by the link revoked now (or by one revoked
 * before, and closed then): the side's connections are closed, on every node.
 */
async function revokeLinks(tx: Tx, sessionId: string, roles: readonly ParticipantRole[]) {
  for (const role of roles) await tokensRepo.revokeActive(tx.db, sessionId, role, tx.now);
  tx.outbox.push({ type: 'access.revoked', sessionId, roles: [...roles] });
}

/** New links for both participants; the old ones stop working at once. */
export async function reissueTokens(deps: Deps, principal: Principal, id: string) {
  if (!isOperator(principal)) fail('forbidden');
  return inTransaction(deps, async (tx) => {
    const { db: trx, now } = tx;
    const s = await loadForUpdate(trx, id);
    if (s.state === 'ended') fail('session_ended');
    const links = await renewLinks(deps, tx, s, ['client', 'expert']);
    await eventsRepo.append(trx, deps.ids, {
      sessionId: id,
      at: now,
      actor: actorOf(principal),
      kind: 'tokens_reissued',
    });
    return links;
  });
}

export async function revokeToken(
  deps: Deps,
  principal: Principal,
  id: string,
  role: ParticipantRole,
) {
  if (!isOperator(principal)) fail('forbidden');
  await inTransaction(deps, async (tx) => {
    const { db: trx, now } = tx;
    await loadForUpdate(trx, id);
    await revokeLinks(tx, id, [role]);
    await eventsRepo.append(trx, deps.ids, {
      sessionId: id,
      at: now,
      actor: actorOf(principal),
      kind: 'token_revoked',
      data: { role },
    });
  });
}
