import { describe, expect, it } from 'vitest';
import { openSlots, type SlotQuery } from './slots.ts';

/**
 * Open slots across zones and daylight-saving changes (B1, B2). This file runs twice: with the
 * test process in TZ=UTC and in TZ=Pacific/Chatham (+12:45/+13:45), and must give the same
 * answers — the machine's zone must never matter.
 */
const prices = { '15': 1500, '30': 2500, '45': 3500, '60': 4500 };
const base = (over: Partial<SlotQuery> & Pick<SlotQuery, 'date' | 'timeZone'>): SlotQuery => ({
  schedule: { timeZone: 'America/New_York', weekly: [], bufferMinutes: 0, minNoticeMinutes: 0 },
  overrides: [],
  oneOff: [],
  busy: [],
  flatPrices: prices,
  types: ['chat', 'voice', 'video'],
  now: new Date('2026-01-01T00:00:00Z'),
  ...over,
});
const at = (
  zone: string,
  weekday: number,
  start: string,
  end: string,
  extra: Partial<SlotQuery['schedule']> = {},
) => ({
  timeZone: zone,
  weekly: [{ weekday, start, end }],
  bufferMinutes: 0,
  minNoticeMinutes: 0,
  ...extra,
});
const starts = (q: SlotQuery) => openSlots(q).map((s) => s.startsAt);
const local = (q: SlotQuery) => openSlots(q).map((s) => s.localStart);

describe('open slots', () => {
  it('runs under the zone its project set', () => {
    const machine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(['UTC', 'Pacific/Chatham']).toContain(machine);
    // Chatham in January is +13:45: the machine's zone is really different, yet nothing below moves.
    expect(new Date('2026-01-15T00:00:00Z').getTimezoneOffset()).toBe(machine === 'UTC' ? 0 : -825);
  });

  it('cuts weekly hours into slots of the duration, in the expert’s zone, shown in the client’s', () => {
    // Monday 2 March 2026, New York is UTC−5.
    const q = base({
      schedule: at('America/New_York', 1, '09:00', '11:00'),
      date: '2026-03-02',
      timeZone: 'America/New_York',
      duration: 30,
    });
    expect(starts(q)).toEqual([
      '2026-03-02T14:00:00.000Z',
      '2026-03-02T14:30:00.000Z',
      '2026-03-02T15:00:00.000Z',
      '2026-03-02T15:30:00.000Z',
    ]);
    expect(openSlots(q)[0]).toEqual({
      startsAt: '2026-03-02T14:00:00.000Z',
      endsAt: '2026-03-02T14:30:00.000Z',
      localStart: '09:00',
      durationMinutes: 30,
      types: ['chat', 'voice', 'video'],
      price: 2500,
      slotId: null,
    });
    // All four durations when none is asked for, each at its flat price.
    const all = openSlots({ ...q, duration: undefined });
    const count = (d: number) => all.filter((x) => x.durationMinutes === d).length;
    expect([count(15), count(30), count(45), count(60)]).toEqual([8, 4, 2, 2]);
    expect(
      openSlots({ ...q, duration: undefined, flatPrices: { '60': 4500 } }).map((x) => x.localStart),
    ).toEqual(['09:00', '10:00']);
  });

  describe('New York (UTC−5 / −4)', () => {
    it('spring forward, Sunday 8 March 2026: 01:00–04:00 local is two real hours', () => {
      const q = base({
        schedule: at('America/New_York', 7, '01:00', '04:00'),
        date: '2026-03-08',
        timeZone: 'America/New_York',
        duration: 60,
      });
      expect(starts(q)).toEqual(['2026-03-08T06:00:00.000Z', '2026-03-08T07:00:00.000Z']);
      expect(local(q)).toEqual(['01:00', '03:00']);
    });
    it('fall back, Sunday 1 November 2026: 00:00–03:00 local is four real hours, 01:00 twice', () => {
      const q = base({
        schedule: at('America/New_York', 7, '00:00', '03:00'),
        date: '2026-11-01',
        timeZone: 'America/New_York',
        duration: 60,
      });
      expect(starts(q)).toEqual([
        '2026-11-01T04:00:00.000Z',
        '2026-11-01T05:00:00.000Z',
        '2026-11-01T06:00:00.000Z',
        '2026-11-01T07:00:00.000Z',
      ]);
      expect(local(q)).toEqual(['00:00', '01:00', '01:00', '02:00']);
    });
    it('the same weekly hours are at a different UTC time either side of the change', () => {
      const hours = at('America/New_York', 1, '09:00', '09:30');
      expect(
        starts(
          base({ schedule: hours, date: '2026-03-02', timeZone: 'America/New_York', duration: 30 }),
        ),
      ).toEqual(['2026-03-02T14:00:00.000Z']);
      expect(
        starts(
          base({ schedule: hours, date: '2026-03-09', timeZone: 'America/New_York', duration: 30 }),
        ),
      ).toEqual(['2026-03-09T13:00:00.000Z']);
    });
  });

  describe('Berlin (UTC+1 / +2)', () => {
    it('spring forward, Sunday 29 March 2026: 01:00–04:00 local is two real hours', () => {
      const q = base({
        schedule: at('Europe/Berlin', 7, '01:00', '04:00'),
        date: '2026-03-29',
        timeZone: 'Europe/Berlin',
        duration: 60,
      });
      expect(starts(q)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z']);
      expect(local(q)).toEqual(['01:00', '03:00']);
    });
    it('fall back, Sunday 25 October 2026: 01:00–04:00 local is four real hours', () => {
      const q = base({
        schedule: at('Europe/Berlin', 7, '01:00', '04:00'),
        date: '2026-10-25',
        timeZone: 'Europe/Berlin',
        duration: 60,
      });
      expect(starts(q)).toEqual([
        '2026-10-24T23:00:00.000Z',
        '2026-10-25T00:00:00.000Z',
        '2026-10-25T01:00:00.000Z',
        '2026-10-25T02:00:00.000Z',
      ]);
      expect(local(q)).toEqual(['01:00', '02:00', '02:00', '03:00']);
    });
  });

  describe('zones with 30- and 45-minute offsets', () => {
    it('Kathmandu (UTC+5:45)', () => {
      const q = base({
        schedule: at('Asia/Kathmandu', 1, '09:00', '10:00'),
        date: '2026-03-02',
        timeZone: 'Asia/Kathmandu',
        duration: 30,
      });
      expect(starts(q)).toEqual(['2026-03-02T03:15:00.000Z', '2026-03-02T03:45:00.000Z']);
    });
    it('Lord Howe, whose clocks move by 30 minutes: Sunday 5 April 2026, 01:00–03:00 local is 2½ real hours', () => {
      const q = base({
        schedule: at('Australia/Lord_Howe', 7, '01:00', '03:00'),
        date: '2026-04-05',
        timeZone: 'Australia/Lord_Howe',
        duration: 30,
      });
      expect(starts(q)).toHaveLength(5);
      expect(local(q)).toEqual(['01:00', '01:30', '01:30', '02:00', '02:30']);
    });
    it('Lord Howe, Sunday 4 October 2026 (02:00 → 02:30): 01:00–03:00 local is 1½ real hours', () => {
      const q = base({
        schedule: at('Australia/Lord_Howe', 7, '01:00', '03:00'),
        date: '2026-10-04',
        timeZone: 'Australia/Lord_Howe',
        duration: 30,
      });
      expect(local(q)).toEqual(['01:00', '01:30', '02:30']);
    });
  });

  it('a client a day ahead (Chatham, +13:45) sees a New York Monday on its Tuesday', () => {
    const q = base({
      schedule: at('America/New_York', 1, '09:00', '10:00'),
      date: '2026-03-03',
      timeZone: 'Pacific/Chatham',
      duration: 30,
    });
    expect(starts(q)).toEqual(['2026-03-02T14:00:00.000Z', '2026-03-02T14:30:00.000Z']);
    expect(local(q)).toEqual(['03:45', '04:15']);
    // And on its Monday, nothing of that New York Monday.
    expect(starts({ ...q, date: '2026-03-02' })).toEqual([]);
  });

  it('overrides: a day off, hours off, extra hours', () => {
    const schedule = at('Europe/Berlin', 1, '09:00', '12:00');
    const q = base({ schedule, date: '2026-03-02', timeZone: 'Europe/Berlin', duration: 60 });
    expect(local(q)).toEqual(['09:00', '10:00', '11:00']);
    expect(
      local({ ...q, overrides: [{ date: '2026-03-02', kind: 'off', start: null, end: null }] }),
    ).toEqual([]);
    expect(
      local({
        ...q,
        overrides: [{ date: '2026-03-02', kind: 'off', start: '10:00', end: '11:00' }],
      }),
    ).toEqual(['09:00', '11:00']);
    expect(
      local({
        ...q,
        overrides: [{ date: '2026-03-02', kind: 'extra', start: '12:00', end: '14:00' }],
      }),
    ).toEqual(['09:00', '10:00', '11:00', '12:00', '13:00']);
    // An override on another date changes nothing.
    expect(
      local({ ...q, overrides: [{ date: '2026-03-09', kind: 'off', start: null, end: null }] }),
    ).toEqual(['09:00', '10:00', '11:00']);
  });

  it('booked time with the buffer around it, and the minimum notice, are not offered', () => {
    const schedule = at('UTC', 1, '09:00', '13:00', { bufferMinutes: 15, minNoticeMinutes: 120 });
    const q = base({
      schedule,
      date: '2026-03-02',
      timeZone: 'UTC',
      duration: 60,
      busy: [{ start: new Date('2026-03-02T11:00:00Z'), end: new Date('2026-03-02T11:30:00Z') }],
    });
    // 10:00–11:00 touches the buffer before 11:00; 11:00 is booked; 12:00–13:00 starts within 15 min of 11:30? no: 12:00 ≥ 11:45.
    expect(local(q)).toEqual(['09:00', '12:00']);
    expect(local({ ...q, now: new Date('2026-03-02T07:30:00Z') })).toEqual(['12:00']);
  });

  it('one-off slots, by type and duration; a type the expert does not offer is not shown', () => {
    const oneOff = [
      {
        id: 'slot-1',
        startsAt: new Date('2026-03-02T20:00:00Z'),
        durationMinutes: 45 as const,
        types: ['video' as const],
        price: 9900,
      },
    ];
    const q = base({
      schedule: at('UTC', 1, '09:00', '10:00'),
      oneOff,
      date: '2026-03-02',
      timeZone: 'UTC',
    });
    const slots = openSlots({ ...q, type: 'video', duration: 45 });
    expect(slots).toEqual([
      {
        startsAt: '2026-03-02T09:00:00.000Z',
        endsAt: '2026-03-02T09:45:00.000Z',
        localStart: '09:00',
        durationMinutes: 45,
        types: ['video'],
        price: 3500,
        slotId: null,
      },
      {
        startsAt: '2026-03-02T20:00:00.000Z',
        endsAt: '2026-03-02T20:45:00.000Z',
        localStart: '20:00',
        durationMinutes: 45,
        types: ['video'],
        price: 9900,
        slotId: 'slot-1',
      },
    ]);
    expect(openSlots({ ...q, type: 'chat', duration: 45 }).map((s) => s.slotId)).toEqual([null]);
    expect(openSlots({ ...q, types: ['chat'], type: 'video' })).toEqual([{ ...slots[1] }]);
  });
});
