import type { BookingBody } from '@hourglass/protocol';
import { DateTime } from 'luxon';
import type { z } from 'zod';
import type { Database } from '../db/connect.ts';
import { actorOf, isOperator, type Deps, type Principal } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { refOf } from '../platform/events.ts';
import { inTransaction } from '../platform/transaction.ts';
import { mayRead, participantRole } from '../sessions/access.ts';
import { loadForUpdate, patchSession } from '../sessions/lifecycle.ts';
import { presentSession } from '../sessions/present.ts';
import { eventsRepo, sessionsRepo } from '../sessions/repository.ts';
import { defaultLinkValidUntil } from '../sessions/rules.ts';
import { insertSession, linkSettings } from '../sessions/service.ts';
import { checkoutBooking } from './payment.ts';
import { availability, queueForExpert } from './schedule.ts';
import type { Duration, SessionType } from './slots.ts';

/** PostgreSQL's exclusion_violation: another booking holds an overlapping time (migration 010). */
export const isOverlap = (err: unknown) => (err as { code?: string }).code === '23P01';

/**
 * B3: a client books an open slot. The slot must be open now (read), then the session, the
 * payment into escrow and the join links are made in one transaction — and the database
 * refuses a second booking of any overlapping time of the expert, however the requests race.
 * Every refusal changes nothing: `slot_taken` (not open, or lost the race), `insufficient_funds`.
 */
export async function bookSlot(
  deps: Deps,
  principal: Principal,
  input: z.output<typeof BookingBody>,
) {
  if (principal.kind !== 'user' || principal.role !== 'client')
    return fail('forbidden', 'Only clients book sessions.');
  const { slot, holds } = await openSlot(deps, input);
  const booked = await asSlotTaken(() =>
    inTransaction(deps, async (tx) => {
      await queueForExpert(tx.db, input.expertId);
      const paymentDueAt =
        input.payWith === 'checkout'
          ? new Date(tx.now.getTime() + deps.config.CHECKOUT_HOLD_MIN * 60_000)
          : undefined;
      const created = await insertSession(
        deps,
        tx,
        {
          kind: 'scheduled',
          type: input.type,
          clientId: principal.userId,
          expertId: input.expertId,
          scheduledAt: slot.startsAt,
          durationMinutes: input.durationMinutes,
        },
        {
          actor: actorOf(principal),
          booking: { price: slot.price, holds, ...(paymentDueAt && { paymentDueAt }) },
        },
      );
      await takeSlot(tx.db, input.slotId, created.session.id);
      return { session: created.session, link: created.links.client, paymentDueAt };
    }),
  );
  if (!booked.paymentDueAt)
    return { session: booked.session, link: booked.link, checkoutUrl: null };
  const started = await checkoutBooking(deps, {
    sessionId: booked.session.id,
    clientId: principal.userId,
    price: slot.price,
    dueAt: booked.paymentDueAt,
  });
  const session = presentSession(
    (await sessionsRepo.byId(deps.db, booked.session.id))!,
    await deps.clock.now(deps.db),
  );
  return { session, link: booked.link, checkoutUrl: started.checkoutUrl };
}

/**
 * B5: a booked session moves to another open slot of the same expert, type and duration, in one
 * transaction; the price paid stands, the join links stay and live as long as the new time needs.
 */
export async function reschedule(
  deps: Deps,
  principal: Principal,
  id: string,
  input: { startsAt: string; slotId: string | null },
) {
  const current = (await sessionsRepo.byId(deps.db, id)) ?? fail('not_found', 'No such session.');
  if (!mayRead(principal, current)) fail('forbidden');
  if (current.kind !== 'scheduled' || current.state !== 'booked')
    fail('invalid_transition', undefined, { state: current.state, command: 'reschedule' });
  const want = {
    expertId: current.expert_id,
    type: current.type,
    durationMinutes: current.duration_minutes as Duration,
    startsAt: input.startsAt,
    slotId: input.slotId,
  };
  const { slot, holds } = await openSlot(deps, want, id);
  return asSlotTaken(() =>
    inTransaction(deps, async (tx) => {
      const { db: trx, now, outbox } = tx;
      await queueForExpert(trx, current.expert_id);
      const s = await loadForUpdate(trx, id);
      if (s.state !== 'booked')
        fail('invalid_transition', undefined, { state: s.state, command: 'reschedule' });
      const moved = await patchSession(trx, s, {
        scheduled_at: new Date(slot.startsAt),
        ...(s.booked_range !== null && {
          booked_range: `[${holds.start.toISOString()},${holds.end.toISOString()})`,
        }),
      });
      await trx
        .updateTable('availability_slots')
        .set({ session_id: null })
        .where('session_id', '=', id)
        .execute();
      await takeSlot(trx, input.slotId, id);
      const validUntil = defaultLinkValidUntil(
        {
          kind: 'scheduled',
          scheduledAt: moved.scheduled_at,
          durationMinutes: moved.duration_minutes,
        },
        now,
        linkSettings(deps),
      );
      await trx
        .updateTable('session_tokens')
        .set({ valid_until: validUntil })
        .where('session_id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      const actor = actorOf(principal);
      await eventsRepo.append(trx, deps.ids, {
        sessionId: id,
        at: now,
        actor,
        kind: 'rescheduled',
        data: { from: s.scheduled_at!.toISOString(), to: slot.startsAt },
      });
      outbox.push({
        type: 'session.rescheduled',
        ...refOf(s),
        from: s.scheduled_at!.toISOString(),
        to: slot.startsAt,
        by: isOperator(principal) ? 'operator' : participantRole(principal, s)!,
      });
      return presentSession(moved, now);
    }),
  );
}

/** The open slot asked for (as availability shows it), and the time a booking of it holds. */
async function openSlot(
  deps: Deps,
  want: {
    expertId: string;
    type: SessionType;
    durationMinutes: Duration;
    startsAt: string;
    slotId: string | null;
  },
  ignoring?: string,
) {
  const start = new Date(want.startsAt);
  // The UTC day of the start holds the slot, whatever zone the client saw it in.
  const day = DateTime.fromJSDate(start, { zone: 'UTC' }).toISODate()!;
  const open = await availability(
    deps,
    want.expertId,
    { date: day, days: 1, tz: 'UTC', duration: want.durationMinutes, type: want.type },
    ignoring,
  );
  const slot =
    open.slots.find(
      (s) => Date.parse(s.startsAt) === start.getTime() && s.slotId === want.slotId,
    ) ?? fail('slot_taken');
  const buffer = await deps.db
    .selectFrom('expert_schedules')
    .select('buffer_minutes')
    .where('expert_id', '=', want.expertId)
    .executeTakeFirst();
  const end = start.getTime() + (want.durationMinutes + (buffer?.buffer_minutes ?? 0)) * 60_000;
  return { slot, holds: { start, end: new Date(end) } };
}

async function takeSlot(trx: Database, slotId: string | null, sessionId: string) {
  if (!slotId) return;
  const taken = await trx
    .updateTable('availability_slots')
    .set({ session_id: sessionId })
    .where('id', '=', slotId)
    .where('session_id', 'is', null)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) fail('slot_taken');
}

/** Runs `fn`; the database refusing an overlapping booking becomes `refusal` (default `slot_taken`). */
export async function asSlotTaken<T>(
  fn: () => Promise<T>,
  refusal = () => new AppError('slot_taken'),
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isOverlap(err)) throw refusal();
    throw err;
  }
}
