import type { AvailabilityQuery, OneOffSlotInput, ScheduleInput } from '@hourglass/protocol';
import { DateTime } from 'luxon';
import type { z } from 'zod';
import type { Database } from '../db/connect.ts';
import { expertsRepo } from '../people/repository.ts';
import { isOperator, type Deps, type Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { openSlots, type Duration, type Schedule, type SessionType } from './slots.ts';

/** Who may change an expert's availability: the expert, or an operator. */
const mayManage = (principal: Principal, expertId: string) =>
  isOperator(principal) ||
  (principal.kind === 'user' && principal.role === 'expert' && principal.userId === expertId);

/** Before anyone has set one: no weekly hours (nothing open), UTC, no buffer, 2 h notice. */
const DEFAULT_SCHEDULE = {
  time_zone: 'UTC',
  weekly: [],
  overrides: [],
  buffer_minutes: 0,
  min_notice_minutes: 120,
};

/**
 * Changes to one expert's calendar (bookings, one-off slots) queue on the expert's row. For
 * bookings the constraint still decides, but answers each at once: without the queue, racing
 * inserts of overlapping ranges wait on each other and deadlock. NO KEY: the foreign keys of
 * rows that point at the expert need not wait.
 */
export const queueForExpert = (trx: Database, expertId: string) =>
  trx.selectFrom('users').select('id').where('id', '=', expertId).forNoKeyUpdate().execute();

async function expertOf(db: Database, id: string) {
  return (await expertsRepo.byId(db, id)) ?? fail('not_found', 'No such expert.');
}

const invalid = (path: string, message: string) =>
  fail('validation_failed', message, { issues: [{ path, message }] });
const offeredTypes = (rates: Record<string, number>) =>
  (['chat', 'voice', 'video'] as const).filter((t) => rates[t] !== undefined);

async function loadSchedule(db: Database, expertId: string) {
  return (
    (await db
      .selectFrom('expert_schedules')
      .selectAll()
      .where('expert_id', '=', expertId)
      .executeTakeFirst()) ?? DEFAULT_SCHEDULE
  );
}

async function present(db: Database, expertId: string, now: Date) {
  const s = await loadSchedule(db, expertId);
  const slots = await db
    .selectFrom('availability_slots')
    .selectAll()
    .where('expert_id', '=', expertId)
    .where('starts_at', '>=', new Date(now.getTime() - 86_400_000))
    .orderBy('starts_at')
    .limit(500)
    .execute();
  return {
    expertId,
    timeZone: s.time_zone,
    weekly: s.weekly,
    overrides: s.overrides,
    bufferMinutes: s.buffer_minutes,
    minNoticeMinutes: s.min_notice_minutes,
    slots: slots.map((r) => ({
      id: r.id,
      startsAt: r.starts_at.toISOString(),
      durationMinutes: r.duration_minutes as Duration,
      types: r.types,
      price: r.price,
      booked: r.session_id !== null,
    })),
  };
}

export async function getSchedule(deps: Deps, principal: Principal, expertId: string) {
  if (!mayManage(principal, expertId)) fail('forbidden');
  await expertOf(deps.db, expertId);
  return present(deps.db, expertId, await deps.clock.now(deps.db));
}

export async function putSchedule(
  deps: Deps,
  principal: Principal,
  expertId: string,
  input: z.output<typeof ScheduleInput>,
) {
  if (!mayManage(principal, expertId)) fail('forbidden');
  return inTransaction(deps, async ({ db: trx, now }) => {
    await expertOf(trx, expertId);
    const row = {
      time_zone: input.timeZone,
      weekly: JSON.stringify(input.weekly),
      overrides: JSON.stringify(input.overrides),
      buffer_minutes: input.bufferMinutes,
      min_notice_minutes: input.minNoticeMinutes,
      updated_at: now,
    };
    await trx
      .insertInto('expert_schedules')
      .values({ expert_id: expertId, ...row })
      .onConflict((oc) => oc.column('expert_id').doUpdateSet(row))
      .execute();
    return present(trx, expertId, now);
  });
}

export async function createSlot(
  deps: Deps,
  principal: Principal,
  expertId: string,
  input: z.output<typeof OneOffSlotInput>,
) {
  if (!mayManage(principal, expertId)) fail('forbidden');
  return inTransaction(deps, async ({ db: trx, now }) => {
    const expert = await expertOf(trx, expertId);
    const offered = offeredTypes(expert.rates);
    const missing = input.types.filter((t) => !offered.includes(t));
    if (missing.length > 0)
      invalid('body.types', `the expert does not offer ${missing.join(', ')} sessions`);
    if (input.price < deps.config.SLOT_PRICE_MIN || input.price > deps.config.SLOT_PRICE_MAX) {
      invalid(
        'body.price',
        `must be between ${deps.config.SLOT_PRICE_MIN} and ${deps.config.SLOT_PRICE_MAX}`,
      );
    }
    const startsAt = new Date(input.startsAt);
    if (startsAt <= now) invalid('body.startsAt', 'must be in the future');
    const endsAt = new Date(startsAt.getTime() + input.durationMinutes * 60_000);
    // One expert's one-off slots never overlap: concurrent adds queue on the expert's row.
    await queueForExpert(trx, expertId);
    if (await overlapsSlot(trx, expertId, startsAt, endsAt))
      invalid('body.startsAt', 'overlaps another one-off slot');
    const row = {
      id: deps.ids.uuid(),
      expert_id: expertId,
      starts_at: startsAt,
      duration_minutes: input.durationMinutes,
      types: JSON.stringify(input.types),
      price: input.price,
      created_at: now,
    };
    await trx.insertInto('availability_slots').values(row).execute();
    return {
      id: row.id,
      startsAt: startsAt.toISOString(),
      durationMinutes: input.durationMinutes,
      types: input.types,
      price: input.price,
      booked: false,
    };
  });
}

/** Whether a one-off slot of the expert overlaps [start, end) (slots last at most 60 minutes). */
async function overlapsSlot(db: Database, expertId: string, start: Date, end: Date) {
  const near = await db
    .selectFrom('availability_slots')
    .select(['starts_at', 'duration_minutes'])
    .where('expert_id', '=', expertId)
    .where('starts_at', '<', end)
    .where('starts_at', '>', new Date(start.getTime() - 60 * 60_000))
    .execute();
  return near.some((s) => s.starts_at.getTime() + s.duration_minutes * 60_000 > start.getTime());
}

export async function deleteSlot(
  deps: Deps,
  principal: Principal,
  expertId: string,
  slotId: string,
) {
  if (!mayManage(principal, expertId)) fail('forbidden');
  await inTransaction(deps, async ({ db: trx }) => {
    const slot = await trx
      .selectFrom('availability_slots')
      .select(['id', 'session_id'])
      .where('id', '=', slotId)
      .where('expert_id', '=', expertId)
      .forUpdate()
      .executeTakeFirst();
    if (!slot) fail('not_found', 'No such slot.');
    if (slot!.session_id) fail('slot_booked');
    await trx.deleteFrom('availability_slots').where('id', '=', slotId).execute();
  });
}

/** B2: the open slots of one date in the client's zone (`ignoring` a session: its own time when it moves). */
export async function availability(
  deps: Deps,
  expertId: string,
  q: z.output<typeof AvailabilityQuery>,
  ignoring?: string,
) {
  const day = DateTime.fromISO(q.date, { zone: q.tz }).startOf('day');
  // A day either side covers every zone's idea of the dates, and sessions that reach into them.
  const from = day.minus({ days: 1 }).toJSDate();
  const to = day.plus({ days: q.days + 1 }).toJSDate();
  // Every read at once: one round trip's wait, not five.
  const [expert, s, now, oneOff, sessions] = await Promise.all([
    expertOf(deps.db, expertId),
    loadSchedule(deps.db, expertId),
    deps.clock.now(deps.db),
    deps.db
      .selectFrom('availability_slots')
      .selectAll()
      .where('expert_id', '=', expertId)
      .where('session_id', 'is', null)
      .where('starts_at', '>=', from)
      .where('starts_at', '<', to)
      .execute(),
    deps.db
      .selectFrom('sessions')
      .select(['scheduled_at', 'duration_minutes'])
      .where('expert_id', '=', expertId)
      .where('kind', '=', 'scheduled')
      .where('state', 'in', ['booked', 'open', 'live'])
      .where('scheduled_at', '>=', new Date(from.getTime() - 86_400_000))
      .where('scheduled_at', '<', to)
      .$if(ignoring !== undefined, (b) => b.where('id', '<>', ignoring!))
      .execute(),
  ]);
  const schedule: Schedule = {
    timeZone: s.time_zone,
    weekly: s.weekly,
    bufferMinutes: s.buffer_minutes,
    minNoticeMinutes: s.min_notice_minutes,
  };
  const slots = openSlots({
    schedule,
    overrides: s.overrides,
    oneOff: oneOff.map((o) => ({
      id: o.id,
      startsAt: o.starts_at,
      durationMinutes: o.duration_minutes as Duration,
      types: o.types,
      price: o.price,
    })),
    busy: sessions.map((b) => ({
      start: b.scheduled_at!,
      end: new Date(b.scheduled_at!.getTime() + b.duration_minutes! * 60_000),
    })),
    flatPrices: expert.flat_prices,
    types: offeredTypes(expert.rates) as SessionType[],
    date: q.date,
    days: q.days,
    timeZone: q.tz,
    now,
    ...(q.duration !== undefined && { duration: q.duration }),
    ...(q.type !== undefined && { type: q.type }),
  });
  return { expertId, date: q.date, days: q.days, timeZone: q.tz, slots };
}
