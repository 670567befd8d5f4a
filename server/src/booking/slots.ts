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
  /** The client's date and zone. */
  date: string;
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
    return ([[s, cut[0]], [cut[1], e]] as Range[]).filter(([a, b]) => b > a);
  });
}

/** The expert's open hours on one of their local dates, as minute ranges of that date. */
export function hoursOn(day: DateTime, schedule: Schedule, overrides: DateOverride[]): Range[] {
  const date = day.toISODate()!;
  const today = overrides.filter((o) => o.date === date);
  if (today.some((o) => o.kind === 'off' && o.start === null)) return [];
  let ranges = union(schedule.weekly.filter((w) => w.weekday === day.weekday).map((w): Range => [minutesOf(w.start), minutesOf(w.end)]));
  for (const o of today.filter((x) => x.kind === 'off')) ranges = subtract(ranges, [minutesOf(o.start!), minutesOf(o.end!)]);
  return union([...ranges, ...today.filter((o) => o.kind === 'extra').map((o): Range => [minutesOf(o.start!), minutesOf(o.end!)])]);
}

/** A local date's minute as an instant in `zone` (24:00 is the next day's midnight). */
function instantOf(day: DateTime, minute: number): number {
  const base = minute >= 1440 ? day.plus({ days: 1 }) : day;
  const m = minute % 1440;
  return DateTime.fromObject({ year: base.year, month: base.month, day: base.day, hour: Math.floor(m / 60), minute: m % 60 }, { zone: day.zone }).toMillis();
}

export function openSlots(q: SlotQuery): OpenSlot[] {
  const dayStart = DateTime.fromISO(q.date, { zone: q.timeZone }).startOf('day');
  const from = dayStart.toMillis();
  const to = dayStart.plus({ days: 1 }).toMillis();
  const earliest = q.now.getTime() + q.schedule.minNoticeMinutes * 60_000;
  const buffer = q.schedule.bufferMinutes * 60_000;
  const busy = q.busy.map((b) => [b.start.getTime() - buffer, b.end.getTime() + buffer] as const);
  const free = (start: number, end: number) => start >= from && start < to && start >= earliest && busy.every(([bs, be]) => end <= bs || start >= be);
  const local = (ms: number) => DateTime.fromMillis(ms, { zone: q.timeZone }).toFormat('HH:mm');
  const slot = (start: number, minutes: Duration, types: SessionType[], price: number, slotId: string | null): OpenSlot => ({
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + minutes * 60_000).toISOString(),
    localStart: local(start),
    durationMinutes: minutes,
    types,
    price,
    slotId,
  });

  const out: OpenSlot[] = [];
  const types = q.type ? q.types.filter((t) => t === q.type) : q.types;
  const durations = DURATIONS.filter((d) => (q.duration === undefined || d === q.duration) && q.flatPrices[String(d)] !== undefined);
  if (types.length > 0) {
    // Every expert-local date that overlaps the client's date (zones apart by up to a day each way).
    const first = DateTime.fromMillis(from, { zone: q.schedule.timeZone }).startOf('day').minus({ days: 1 });
    for (let day = first; day.toMillis() < to; day = day.plus({ days: 1 })) {
      for (const [s, e] of hoursOn(day, q.schedule, q.overrides)) {
        const [start, end] = [instantOf(day, s), instantOf(day, e)];
        for (const d of durations) {
          for (let t = start; t + d * 60_000 <= end; t += d * 60_000) {
            if (free(t, t + d * 60_000)) out.push(slot(t, d, types, q.flatPrices[String(d)]!, null));
          }
        }
      }
    }
  }
  for (const o of q.oneOff) {
    const start = o.startsAt.getTime();
    const offered = o.types.filter((t) => !q.type || t === q.type);
    if (offered.length === 0 || (q.duration !== undefined && o.durationMinutes !== q.duration)) continue;
    if (free(start, start + o.durationMinutes * 60_000)) out.push(slot(start, o.durationMinutes, offered, o.price, o.id));
  }
  return out.sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.durationMinutes - b.durationMinutes);
}
