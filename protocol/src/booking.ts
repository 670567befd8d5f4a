import { z } from 'zod';
import { Id, Minor, Timestamp } from './common.ts';
import { PayWith } from './money.ts';
import { FLAT_DURATIONS, SessionType } from './people.ts';
import { JoinLink, Session } from './sessions.ts';

/**
 * Availability and open slots (B1, B2). Wall-clock times are `HH:mm` in the expert's own IANA
 * zone; instants are ISO 8601 with an offset.
 */
export const TimeOfDay = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be HH:mm, 00:00 to 24:00');
export const LocalDate = z.iso.date().describe('YYYY-MM-DD');
/** An IANA zone the runtime knows (`Europe/Berlin`, `Asia/Kathmandu`, `UTC`). */
export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone, like Europe/Berlin');
export const Duration = z.union(
  FLAT_DURATIONS.map((d) => z.literal(d)) as [
    z.ZodLiteral<15>,
    z.ZodLiteral<30>,
    z.ZodLiteral<45>,
    z.ZodLiteral<60>,
  ],
);

const before = (a: string, b: string) => a < b;

export const WeeklyHours = z
  .strictObject({
    weekday: z.number().int().min(1).max(7).describe('ISO weekday: 1 = Monday … 7 = Sunday'),
    start: TimeOfDay,
    end: TimeOfDay,
  })
  .refine((w) => before(w.start, w.end), { message: 'start must be before end', path: ['end'] });

export const DateOverride = z
  .strictObject({
    date: LocalDate,
    kind: z
      .enum(['off', 'extra'])
      .describe('off: no hours (all day without start/end); extra: hours added'),
    start: TimeOfDay.nullable().default(null),
    end: TimeOfDay.nullable().default(null),
  })
  .refine((o) => (o.start === null) === (o.end === null), {
    message: 'give both start and end, or neither',
    path: ['end'],
  })
  .refine((o) => o.kind === 'off' || o.start !== null, {
    message: 'extra hours need start and end',
    path: ['start'],
  })
  .refine((o) => o.start === null || before(o.start, o.end!), {
    message: 'start must be before end',
    path: ['end'],
  });

const noOverlaps = (ranges: { key: string; start: string; end: string }[]) => {
  const sorted = [...ranges].sort(
    (a, b) => a.key.localeCompare(b.key) || a.start.localeCompare(b.start),
  );
  return sorted.every(
    (r, i) => i === 0 || sorted[i - 1]!.key !== r.key || sorted[i - 1]!.end <= r.start,
  );
};

export const ScheduleInput = z
  .strictObject({
    timeZone: TimeZone,
    weekly: z.array(WeeklyHours).max(100),
    overrides: z.array(DateOverride).max(1000).default([]),
    bufferMinutes: z
      .number()
      .int()
      .min(0)
      .max(240)
      .default(0)
      .describe('Kept free before and after every booked session'),
    minNoticeMinutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 60)
      .default(120)
      .describe('How soon before its start a slot can still be booked'),
  })
  .refine(
    (s) =>
      noOverlaps(s.weekly.map((w) => ({ key: String(w.weekday), start: w.start, end: w.end }))),
    { message: 'hours of one weekday overlap', path: ['weekly'] },
  )
  .refine(
    (s) =>
      new Set(s.overrides.filter((o) => o.kind === 'off' && o.start === null).map((o) => o.date))
        .size === s.overrides.filter((o) => o.kind === 'off' && o.start === null).length,
    {
      message: 'a date is given the whole day off twice',
      path: ['overrides'],
    },
  );

export const OneOffSlotInput = z.strictObject({
  startsAt: Timestamp,
  durationMinutes: Duration,
  types: z
    .array(SessionType)
    .min(1)
    .max(3)
    .refine((t) => new Set(t).size === t.length, 'each type once'),
  price: Minor.min(1).describe('Checked against SLOT_PRICE_MIN / SLOT_PRICE_MAX'),
});

export const OneOffSlot = OneOffSlotInput.extend({ id: Id, booked: z.boolean() });

export const Schedule = z.object({
  expertId: Id,
  timeZone: z.string(),
  weekly: z.array(WeeklyHours),
  overrides: z.array(DateOverride),
  bufferMinutes: z.number().int(),
  minNoticeMinutes: z.number().int(),
  slots: z.array(OneOffSlot).describe('One-off slots from today on, earliest first'),
});

export const AvailabilityQuery = z.strictObject({
  date: LocalDate,
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(31)
    .default(1)
    .describe('How many dates from `date` (a month view: up to 31)'),
  tz: TimeZone.describe(
    "The client's zone: the dates are theirs, and localStart is on their clock",
  ),
  duration: z.coerce.number().pipe(Duration).optional(),
  type: SessionType.optional(),
});

export const OpenSlot = z.object({
  startsAt: Timestamp,
  endsAt: Timestamp,
  localStart: z.string().describe("HH:mm on the client's clock"),
  durationMinutes: Duration,
  types: z.array(SessionType),
  price: Minor,
  slotId: Id.nullable().describe("A one-off slot's id; null for weekly hours"),
});

export const Availability = z.object({
  expertId: Id,
  date: LocalDate,
  days: z.number().int(),
  timeZone: z.string(),
  slots: z.array(OpenSlot),
});
export const SlotParams = z.strictObject({ id: Id, slotId: Id });

export const BookingBody = z.strictObject({
  expertId: Id,
  type: SessionType,
  startsAt: Timestamp.describe("An open slot's startsAt, as GET …/availability gave it"),
  durationMinutes: Duration,
  slotId: Id.nullable().default(null).describe('The one-off slot booked; null for weekly hours'),
  payWith: PayWith.default('wallet').describe(
    'checkout: the time is held CHECKOUT_HOLD_MIN minutes for the payment, then released',
  ),
});
export const Booking = z.object({
  session: Session,
  link: JoinLink.describe("The client's join link (shown once)"),
  checkoutUrl: z
    .string()
    .nullable()
    .describe('Where to pay (payWith checkout); null when paid from the wallet'),
});
export const SessionRequestBody = z.strictObject({ expertId: Id, type: SessionType });
export const SessionRequest = z.object({
  session: Session,
  link: JoinLink.describe("The client's join link (shown once): it works once the expert accepts"),
  expiresAt: Timestamp.describe('Unanswered by then, the request expires'),
});
export const RequestAnswer = z.object({
  session: Session,
  link: JoinLink.nullable().describe("Accepted: the expert's join link (shown once)"),
});

export const RescheduleBody = z.strictObject({
  startsAt: Timestamp.describe('An open slot of the same expert, type and duration'),
  slotId: Id.nullable().default(null),
});
