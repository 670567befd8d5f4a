import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HourglassClient } from '../../../sdk/src/client.ts';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildClient, buildSignedIn, fund, operator } from '../../../test-support/factories.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { createSession } from '../../src/sessions/service.ts';

/**
 * B1/B2 over HTTP: an expert sets weekly hours in their zone, overrides and one-off slots; a
 * client asks for a date in their own zone. The server's clock is 2026-03-02T12:00Z (Monday).
 */
describeOnDatabases('availability', (target) => {
  let server: TestServer;
  let expert: { id: string; api: HourglassClient };
  const anyone = () => clientFor(server.url);
  const schedule = (body: unknown) =>
    expert.api.call('putSchedule', { params: { id: expert.id }, body: body as never });
  const getSchedule = () => expert.api.call('getSchedule', { params: { id: expert.id } });
  /** Availability as a visitor asks for it, from the query string a page would build. */
  const ask = (query: string, id = expert.id) =>
    anyone().call('availability', {
      params: { id },
      query: Object.fromEntries(new URLSearchParams(query)) as never,
    });
  const open = ask;
  const createSlot = (body: object) =>
    expert.api.call('createSlot', { params: { id: expert.id }, body: body as never });
  const deleteSlot = (slotId: string) =>
    expert.api.call('deleteSlot', { params: { id: expert.id, slotId } });

  beforeAll(async () => {
    server = await startServer(target);
    const signedIn = await buildSignedIn(server, 'expert');
    expert = { id: signedIn.user.id, api: signedIn.api };
  });
  afterAll(() => server?.close());

  it('an expert sets weekly hours in their zone; a client sees them on their own date and clock', async () => {
    const r = await schedule({
      timeZone: 'Europe/Berlin',
      weekly: [{ weekday: 2, start: '09:00', end: '11:00' }],
      overrides: [{ date: '2026-03-10', kind: 'off' }],
      bufferMinutes: 0,
      minNoticeMinutes: 60,
    });
    expect(r).toMatchObject({
      expertId: expert.id,
      timeZone: 'Europe/Berlin',
      overrides: [{ date: '2026-03-10', kind: 'off', start: null, end: null }],
      slots: [],
    });
    expect(await getSchedule()).toEqual(r);

    // Tuesday 3 March in Berlin (UTC+1), asked from New York (UTC−5): 03:00–05:00 there.
    const ny = await open('date=2026-03-03&tz=America/New_York&duration=60');
    expect(ny.slots.map((s) => [s.startsAt, s.localStart, s.price])).toEqual([
      ['2026-03-03T08:00:00.000Z', '03:00', 4500],
      ['2026-03-03T09:00:00.000Z', '04:00', 4500],
    ]);
    // The day off.
    expect((await open('date=2026-03-10&tz=Europe/Berlin')).slots).toEqual([]);
    // A month in one call: every Tuesday but the day off, two hour-long slots each.
    const march = await open('date=2026-03-01&days=31&tz=Europe/Berlin&duration=60');
    expect([...new Set(march.slots.map((s) => s.startsAt.slice(0, 10)))]).toEqual([
      '2026-03-03',
      '2026-03-17',
      '2026-03-24',
      '2026-03-31',
    ]);
    expect(march.slots).toHaveLength(8);
    // Only the types the expert has rates for, and the one asked for.
    expect(
      (await open('date=2026-03-03&tz=UTC&duration=60&type=video')).slots.map((s) => s.types),
    ).toEqual([['video'], ['video']]);
  });

  it('booked sessions are not offered again', async () => {
    await schedule({
      timeZone: 'UTC',
      weekly: [{ weekday: 3, start: '09:00', end: '12:00' }],
      minNoticeMinutes: 0,
    });
    const client = await buildClient(server.deps);
    await fund(server.deps, client.id, 100_000);
    await createSession(server.deps, operator, {
      kind: 'scheduled',
      type: 'chat',
      clientId: client.id,
      expertId: expert.id,
      scheduledAt: '2026-03-04T10:00:00Z',
      durationMinutes: 60,
    });
    expect(
      (await open('date=2026-03-04&tz=UTC&duration=60')).slots.map((s) => s.localStart),
    ).toEqual(['09:00', '11:00']);
  });

  it('one-off slots: created with their own price and types, listed, offered, deleted while unbooked', async () => {
    await schedule({ timeZone: 'UTC', weekly: [] });
    const created = await createSlot({
      startsAt: '2026-03-05T18:30:00+05:30',
      durationMinutes: 45,
      types: ['video', 'chat'],
      price: 9900,
    });
    expect(created).toMatchObject({
      startsAt: '2026-03-05T13:00:00.000Z',
      durationMinutes: 45,
      types: ['video', 'chat'],
      price: 9900,
      booked: false,
    });
    expect((await open('date=2026-03-05&tz=Asia/Kathmandu')).slots).toEqual([
      {
        startsAt: '2026-03-05T13:00:00.000Z',
        endsAt: '2026-03-05T13:45:00.000Z',
        localStart: '18:45',
        durationMinutes: 45,
        types: ['video', 'chat'],
        price: 9900,
        slotId: created.id,
      },
    ]);
    // Overlapping another one-off slot, in the past, out of the price range, a type not offered: refused.
    const bad = async (body: object) =>
      (
        await refusal(
          createSlot({
            startsAt: '2026-03-06T10:00:00Z',
            durationMinutes: 30,
            types: ['chat'],
            price: 2500,
            ...body,
          }),
        )
      ).code;
    expect(await bad({ startsAt: '2026-03-05T13:30:00Z' })).toBe('validation_failed');
    expect(await bad({ startsAt: '2026-03-01T10:00:00Z' })).toBe('validation_failed');
    expect(await bad({ price: 99 })).toBe('validation_failed');
    expect(await bad({ price: 25_001 })).toBe('validation_failed');
    expect(await bad({ durationMinutes: 20 })).toBe('validation_failed');

    expect(await deleteSlot(created.id)).toBeNull();
    expect((await open('date=2026-03-05&tz=UTC')).slots).toEqual([]);
    expect((await refusal(deleteSlot(created.id))).code).toBe('not_found');
  });

  it('a booked one-off slot cannot be deleted', async () => {
    const created = await createSlot({
      startsAt: '2026-03-07T10:00:00Z',
      durationMinutes: 30,
      types: ['chat'],
      price: 2500,
    });
    const client = await buildClient(server.deps);
    await fund(server.deps, client.id, 100_000);
    const s = await createSession(server.deps, operator, {
      kind: 'scheduled',
      type: 'chat',
      clientId: client.id,
      expertId: expert.id,
      scheduledAt: '2026-03-07T10:00:00Z',
      durationMinutes: 30,
    });
    // Booking a slot arrives with the booking slice; here the link is made directly.
    await server.deps.db
      .updateTable('availability_slots')
      .set({ session_id: s.session.id })
      .where('id', '=', created.id)
      .execute();
    expect((await refusal(deleteSlot(created.id))).code).toBe('slot_booked');
    const listed = await getSchedule();
    expect(listed.slots.find((x) => x.id === created.id)).toMatchObject({
      booked: true,
    });
  });

  it('refuses bad schedules and bad questions with a code, changing nothing', async () => {
    await schedule({ timeZone: 'UTC', weekly: [{ weekday: 1, start: '09:00', end: '10:00' }] });
    const before = await getSchedule();
    const refusals = [
      { timeZone: 'Mars/Olympus', weekly: [] },
      { timeZone: 'UTC', weekly: [{ weekday: 8, start: '09:00', end: '10:00' }] },
      { timeZone: 'UTC', weekly: [{ weekday: 1, start: '10:00', end: '09:00' }] },
      {
        timeZone: 'UTC',
        weekly: [
          { weekday: 1, start: '09:00', end: '11:00' },
          { weekday: 1, start: '10:30', end: '12:00' },
        ],
      },
      { timeZone: 'UTC', weekly: [{ weekday: 1, start: '9:00', end: '24:01' }] },
      { timeZone: 'UTC', weekly: [], overrides: [{ date: '2026-03-10', kind: 'extra' }] },
      { timeZone: 'UTC', weekly: [], overrides: [{ date: '2026-02-30', kind: 'off' }] },
      { timeZone: 'UTC', weekly: [], bufferMinutes: -5 },
    ];
    for (const body of refusals)
      expect((await refusal(schedule(body))).code, JSON.stringify(body)).toBe('validation_failed');
    expect(await getSchedule()).toEqual(before);

    const refused = async (q: string, id?: string) => (await refusal(ask(q, id))).code;
    expect(await refused('date=2026-13-01&tz=UTC')).toBe('validation_failed');
    expect(await refused('date=2026-03-02&tz=Nowhere/Land')).toBe('validation_failed');
    expect(await refused('date=2026-03-02&tz=UTC&duration=20')).toBe('validation_failed');
    expect(await refused('date=2026-03-02&tz=UTC&days=32')).toBe('validation_failed');
    expect(await refused('date=2026-03-02&tz=UTC', '00000000-0000-7000-8000-000000000000')).toBe(
      'not_found',
    );
  });
});
