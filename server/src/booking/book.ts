import type { BookingBody } from '@hourglass/protocol';
import { DateTime } from 'luxon';
import type { z } from 'zod';
import { actorOf, type Deps, type Principal } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { insertSession } from '../sessions/service.ts';
import { availability } from './schedule.ts';

/** PostgreSQL's exclusion_violation: another booking holds an overlapping time (migration 010). */
const EXCLUSION_VIOLATION = '23P01';

/**
 * B3: a client books an open slot. The slot must be open now (read), then the session, the
 * payment into escrow and the join links are made in one transaction — and the database
 * refuses a second booking of any overlapping time of the expert, however the requests race.
 * Every refusal changes nothing: `slot_taken` (not open, or lost the race), `insufficient_funds`.
 */
export async function bookSlot(deps: Deps, principal: Principal, input: z.output<typeof BookingBody>) {
  if (principal.kind !== 'user' || principal.role !== 'client') return fail('forbidden', 'Only clients book sessions.');
  const start = new Date(input.startsAt);
  // The UTC day of the start holds the slot, whatever zone the client saw it in.
  const day = DateTime.fromJSDate(start, { zone: 'UTC' }).toISODate()!;
  const open = await availability(deps, input.expertId, { date: day, tz: 'UTC', duration: input.durationMinutes, type: input.type });
  const slot = open.slots.find((s) => Date.parse(s.startsAt) === start.getTime() && s.slotId === input.slotId);
  if (!slot) return fail('slot_taken');
  const buffer = await deps.db.selectFrom('expert_schedules').select('buffer_minutes').where('expert_id', '=', input.expertId).executeTakeFirst();
  const end = new Date(start.getTime() + input.durationMinutes * 60_000);
  try {
    return await inTransaction(deps, async (trx, now) => {
      // Bookers of one expert queue here, so the constraint answers each at once: without the
      // queue, racing inserts of overlapping ranges wait on each other and end in deadlocks.
      await trx.selectFrom('users').select('id').where('id', '=', input.expertId).forNoKeyUpdate().execute();
      const created = await insertSession(deps, trx, now, actorOf(principal), {
        kind: 'scheduled', type: input.type, clientId: principal.userId, expertId: input.expertId, scheduledAt: slot.startsAt, durationMinutes: input.durationMinutes,
      }, { price: slot.price, holds: { start, end: new Date(end.getTime() + (buffer?.buffer_minutes ?? 0) * 60_000) } });
      if (input.slotId) {
        const taken = await trx.updateTable('availability_slots').set({ session_id: created.session.id })
          .where('id', '=', input.slotId).where('session_id', 'is', null).executeTakeFirst();
        if (Number(taken.numUpdatedRows) !== 1) fail('slot_taken');
      }
      return { session: created.session, link: created.links.client };
    });
  } catch (err) {
    if ((err as { code?: string }).code === EXCLUSION_VIOLATION) throw new AppError('slot_taken');
    throw err;
  }
}
