import { DateTime, IANAZone } from 'luxon';

/**
 * Open slots (B1, B2): an expert's weekly hours in their own IANA zone, date overrides and
 * one-off slots, less what is booked (with the buffer) and what is too soon (minimum notice),
 * for one date in the client's zone. Pure: every instant is computed from the zones given,
 * never from the machine's zone, so it runs the same under any TZ.
 *
 * Local times that do not exist (the hour skipped when clocks go forward) move forward by the
 * gap; local times that happen twice (clocks go back) mean the first. A window is cut into
 * back-to-back slots of the duration, measured in real minutes, so a window across a change
 * holds as many slots as it has real time for.
 */
export type SessionType = 'chat' | 'voice' | 'video';
export const DURATIONS = [15, 30, 45, 60] as const;
export type Duration = (typeof DURATIONS)[number];

export interface WeeklyHours {
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  start: string;
  end: string;
}

export interface DateOverride {
  date: string;
  kind: 'off' | 'extra';
  /** Both null with `off`: the whole day off. */
  start: string | null;
  end: string | null;
}

export interface OneOffSlot {
  id: string;
  startsAt: Date;
  durationMinutes: Duration;
  types: SessionType[];
  price: number;
}

export interface Schedule {
  timeZone: string;
  weekly: WeeklyHours[];
  bufferMinutes: number;
  minNoticeMinutes: number;
}

export interface OpenSlot {
  startsAt: string;
  endsAt: string;
  /** The start as the client's wall clock reads it, `HH:mm`. */
  localStart: string;
  durationMinutes: Duration;
  types: SessionType[];
  price: number;
  /** A one-off slot's id; null for a slot cut from weekly hours or an override. */
  slotId: string | null;
}

export interface SlotQuery {
  schedule: Schedule;
  overrides: DateOverride[];
  oneOff: OneOffSlot[];
  /** Booked sessions of the expert, as instants. */
  busy: { start: Date; end: Date }[];
  /** Flat price per duration (minutes as a string key); a duration without a price is not offered. */
  flatPrices: Record<string, number>;
  /** Types the expert offers from weekly hours. */
  types: SessionType[];
  /** The client's first date, how many dates (default 1), and zone. */
  date: string;
  days?: number;
  timeZone: string;
  now: Date;
  duration?: Duration;
  type?: SessionType;
}

export const isTimeZone = (zone: string) => IANAZone.isValidZone(zone);

/** `HH:mm` (00:00–24:00) → minutes of the day. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

type Range = [number, number];

/** Sorted union of minute ranges. */
function union(ranges: Range[]): Range[] {
  const out: Range[] = [];
  for (const [s, e] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

function subtract(ranges: Range[], cut: Range): Range[] {
  return ranges.flatMap(([s, e]): Range[] => {
    if (cut[1] <= s || cut[0] >= e) return [[s, e]];
    return (
      [
        [s, cut[0]],
        [cut[1], e],
      ] as Range[]
    ).filter(([a, b]) => b > a);
  });
}

/** A calendar date, as plain numbers: stepping through dates needs no zone arithmetic. */
interface CalendarDate {
  year: number;
  month: number;
  day: number;
  iso: string;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
}

function calendarDate(year: number, month: number, day: number): CalendarDate {
  const d = new Date(Date.UTC(year, month - 1, day));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    iso: d.toISOString().slice(0, 10),
    weekday: ((d.getUTCDay() + 6) % 7) + 1,
  };
}

/** The expert's open hours on one of their local dates, as minute ranges of that date. */
export function hoursOn(
  date: CalendarDate,
  schedule: Schedule,
  overrides: DateOverride[],
): Range[] {
  if (overrides.some((o) => o.kind === 'off' && o.start === null)) return [];
  let ranges = union(
    schedule.weekly
      .filter((w) => w.weekday === date.weekday)
      .map((w): Range => [minutesOf(w.start), minutesOf(w.end)]),
  );
  for (const o of overrides.filter((x) => x.kind === 'off'))
    ranges = subtract(ranges, [minutesOf(o.start!), minutesOf(o.end!)]);
  return union([
    ...ranges,
    ...overrides
      .filter((o) => o.kind === 'extra')
      .map((o): Range => [minutesOf(o.start!), minutesOf(o.end!)]),
  ]);
}

/** A local date's minute as an instant in `zone` (24:00 is the next day's midnight). */
function instantOf(date: CalendarDate, minute: number, zone: string): number {
  const base = minute >= 1440 ? calendarDate(date.year, date.month, date.day + 1) : date;
  const m = minute % 1440;
  return DateTime.fromObject(
    { year: base.year, month: base.month, day: base.day, hour: Math.floor(m / 60), minute: m % 60 },
    { zone },
  ).toMillis();
}

/**
 * Whether [start, end) overlaps any of `intervals`, in O(log n): sorted by start, with the
 * latest end so far, the last interval starting before `end` tells (a month holds thousands).
 */
function busyIndex(intervals: [number, number][]) {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const starts = sorted.map((i) => i[0]);
  const maxEnd: number[] = [];
  for (const [i, [, e]] of sorted.entries()) maxEnd.push(Math.max(e, maxEnd[i - 1] ?? -Infinity));
  return (start: number, end: number) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && maxEnd[lo - 1]! > start;
  };
}

export function openSlots(q: SlotQuery): OpenSlot[] {
  const dayStart = DateTime.fromISO(q.date, { zone: q.timeZone }).startOf('day');
  const from = dayStart.toMillis();
  const to = dayStart.plus({ days: q.days ?? 1 }).toMillis();
  const earliest = q.now.getTime() + q.schedule.minNoticeMinutes * 60_000;
  const buffer = q.schedule.bufferMinutes * 60_000;
  const overlapsBusy = busyIndex(
    q.busy.map((b) => [b.start.getTime() - buffer, b.end.getTime() + buffer]),
  );
  const free = (start: number, end: number) =>
    start >= from && start < to && start >= earliest && !overlapsBusy(start, end);
  // One formatter for all slots (luxon's toFormat per slot cost a month's query ~10 ms).
  const clock = new Intl.DateTimeFormat('en-GB', {
    timeZone: q.timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const local = (ms: number) => clock.format(ms);
  const slot = (
    start: number,
    minutes: Duration,
    offer: { types: SessionType[]; price: number; slotId: string | null },
  ): OpenSlot => ({
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + minutes * 60_000).toISOString(),
    localStart: local(start),
    durationMinutes: minutes,
    ...offer,
  });

  const out: OpenSlot[] = [];
  const types = q.type ? q.types.filter((t) => t === q.type) : q.types;
  const durations = DURATIONS.filter(
    (d) => (q.duration === undefined || d === q.duration) && q.flatPrices[String(d)] !== undefined,
  );
  if (types.length > 0) {
    // Every expert-local date that overlaps the client's dates (zones apart by up to a day each
    // way), stepped as plain calendar dates; only window edges go through the zone.
    const first = DateTime.fromMillis(from, { zone: q.schedule.timeZone });
    const byDate = new Map<string, DateOverride[]>();
    for (const o of q.overrides) byDate.set(o.date, [...(byDate.get(o.date) ?? []), o]);
    for (let k = -1; ; k++) {
      const date = calendarDate(first.year, first.month, first.day + k);
      // Past the last date: its midnight, even at UTC+14, is after the range.
      if (Date.UTC(date.year, date.month - 1, date.day) - 14 * 3_600_000 >= to) break;
      for (const [s, e] of hoursOn(date, q.schedule, byDate.get(date.iso) ?? [])) {
        const [start, end] = [
          instantOf(date, s, q.schedule.timeZone),
          instantOf(date, e, q.schedule.timeZone),
        ];
        for (const d of durations) {
          for (let t = start; t + d * 60_000 <= end; t += d * 60_000) {
            if (free(t, t + d * 60_000))
              out.push(slot(t, d, { types, price: q.flatPrices[String(d)]!, slotId: null }));
          }
        }
      }
    }
  }
  for (const o of q.oneOff) {
    const start = o.startsAt.getTime();
    const offered = o.types.filter((t) => !q.type || t === q.type);
    if (offered.length === 0 || (q.duration !== undefined && o.durationMinutes !== q.duration))
      continue;
    if (free(start, start + o.durationMinutes * 60_000))
      out.push(slot(start, o.durationMinutes, { types: offered, price: o.price, slotId: o.id }));
  }
  return out.sort(
    (a, b) => a.startsAt.localeCompare(b.startsAt) || a.durationMinutes - b.durationMinutes,
  );
}
