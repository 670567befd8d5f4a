import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildClient, buildSignedIn, fund } from '../../../test-support/factories.ts';
import { scaled } from '../../../test-support/scale.ts';
import type { HourglassClient } from '../../../sdk/src/client.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { bookSlot } from '../../src/booking/book.ts';
import { putSchedule } from '../../src/booking/schedule.ts';
import type { Principal } from '../../src/platform/context.ts';
import { inTransaction } from '../../src/platform/transaction.ts';
import { insertSession } from '../../src/sessions/service.ts';

const ROUNDS = scaled(100);
const CONTENDERS = 100;

/** B3: booking an open slot — paid into escrow and booked in one transaction, one booking per time. */
describeOnDatabases('booking', (target) => {
  let server: TestServer;
  let expert: { id: string; api: HourglassClient };
  let client: { id: string; api: HourglassClient };
  const walletOf = async (id: string) =>
    Number(
      (
        await server.deps.db
          .selectFrom('ledger_accounts')
          .select('balance')
          .where('id', '=', `wallet:${id}`)
          .executeTakeFirstOrThrow()
      ).balance,
    );
  const book = (body: object, as = client.api) => as.call('createBooking', { body: body as never });

  beforeAll(async () => {
    server = await startServer(target);
    const e = await buildSignedIn(server, 'expert');
    const c = await buildSignedIn(server, 'client');
    expert = { id: e.user.id, api: e.api };
    client = { id: c.user.id, api: c.api };
    await fund(server.deps, client.id, 100_000);
    // Open every day, all day (UTC), so each test picks its own times.
    const admin = { kind: 'apiKey', keyId: 'test' } as const;
    await putSchedule(server.deps, admin, expert.id, {
      timeZone: 'UTC',
      weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })),
      overrides: [],
      bufferMinutes: 15,
      minNoticeMinutes: 60,
    });
  });
  afterAll(() => server?.close());

  it('books an open slot: the session is booked, its price held in escrow, the client gets a join link; the time is no longer open', async () => {
    const before = await walletOf(client.id);
    const r = await book({
      expertId: expert.id,
      type: 'video',
      startsAt: '2026-03-03T10:00:00Z',
      durationMinutes: 30,
    });
    expect(r.session).toMatchObject({
      kind: 'scheduled',
      type: 'video',
      state: 'booked',
      scheduledAt: '2026-03-03T10:00:00.000Z',
      durationMinutes: 30,
      price: 2500,
    });
    expect(r.link).toMatchObject({ role: 'client' });
    expect(await walletOf(client.id)).toBe(before - 2500);
    const open = await clientFor(server.url).call('availability', {
      params: { id: expert.id },
      query: { date: '2026-03-03', tz: 'UTC', duration: 30 },
    });
    const starts = open.slots.map((s) => s.startsAt.slice(11, 16));
    // 10:00 is booked; with the 15-minute buffer, 09:30 (ends 10:00) and 10:30 (starts 10:30, the buffer ends 10:45) are out too.
    expect(starts).toEqual(expect.arrayContaining(['09:00', '11:00']));
    for (const gone of ['09:30', '10:00', '10:30']) expect(starts).not.toContain(gone);
    // The link works: the client can check it.
    const check = await clientFor(server.url).call('validateToken', {
      query: { token: r.link.token },
    });
    expect(check.participant.role).toBe('client');
  });

  it('refuses a time that is not open, or not open any more, and a wallet that cannot pay — charging nothing', async () => {
    await book({
      expertId: expert.id,
      type: 'chat',
      startsAt: '2026-03-04T10:00:00Z',
      durationMinutes: 60,
    });
    const before = await walletOf(client.id);
    const sessionsBefore = await server.deps.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    // Taken; overlapping; not on the slot grid; too soon (minimum notice); a type the expert does not offer.
    expect(
      (
        await refusal(
          book({
            expertId: expert.id,
            type: 'chat',
            startsAt: '2026-03-04T10:00:00Z',
            durationMinutes: 60,
          }),
        )
      ).code,
    ).toBe('slot_taken');
    expect(
      (
        await refusal(
          book({
            expertId: expert.id,
            type: 'chat',
            startsAt: '2026-03-04T10:30:00Z',
            durationMinutes: 30,
          }),
        )
      ).code,
    ).toBe('slot_taken');
    expect(
      (
        await refusal(
          book({
            expertId: expert.id,
            type: 'chat',
            startsAt: '2026-03-04T14:07:00Z',
            durationMinutes: 30,
          }),
        )
      ).code,
    ).toBe('slot_taken');
    expect(
      (
        await refusal(
          book({
            expertId: expert.id,
            type: 'chat',
            startsAt: '2026-03-02T12:30:00Z',
            durationMinutes: 30,
          }),
        )
      ).code,
    ).toBe('slot_taken');
    // A client with too little in the wallet.
    const poor = await buildSignedIn(server, 'client');
    await fund(server.deps, poor.user.id, 100);
    const fifth = {
      expertId: expert.id,
      type: 'chat',
      startsAt: '2026-03-05T10:00:00Z',
      durationMinutes: 60,
    };
    expect((await refusal(book(fifth, poor.api))).code).toBe('insufficient_funds');
    expect(await walletOf(poor.user.id)).toBe(100);
    // Only a client books; bad bodies are refused.
    expect((await refusal(book(fifth, expert.api))).code).toBe('forbidden');
    expect(
      (
        await refusal(
          book({
            expertId: expert.id,
            type: 'chat',
            startsAt: 'tomorrow',
            durationMinutes: 60,
          }),
        )
      ).code,
    ).toBe('validation_failed');
    expect(await walletOf(client.id)).toBe(before);
    expect(
      await server.deps.db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ).toEqual(sessionsBefore);
  });

  it('a one-off slot is booked at its own price and marked booked', async () => {
    const slot = await expert.api.call('createSlot', {
      params: { id: expert.id },
      body: {
        startsAt: '2026-03-06T20:10:00Z',
        durationMinutes: 45,
        types: ['voice'],
        price: 7700,
      },
    });
    const r = await book({
      expertId: expert.id,
      type: 'voice',
      startsAt: '2026-03-06T20:10:00Z',
      durationMinutes: 45,
      slotId: slot.id,
    });
    expect(r.session).toMatchObject({ price: 7700, durationMinutes: 45 });
    const listed = await expert.api.call('getSchedule', { params: { id: expert.id } });
    expect(listed.slots.find((s) => s.id === slot.id)).toMatchObject({
      booked: true,
    });
    expect(
      (
        await refusal(
          book({
            expertId: expert.id,
            type: 'voice',
            startsAt: '2026-03-06T20:10:00Z',
            durationMinutes: 45,
            slotId: slot.id,
          }),
        )
      ).code,
    ).toBe('slot_taken');
  });

  it('the database itself refuses an overlapping booking: no read decides it', async () => {
    // Straight to the insert, past every check that reads: the constraint (migration 010) stands.
    const insert = (start: string, minutes: number) =>
      inTransaction(server.deps, (tx) =>
        insertSession(
          server.deps,
          tx,
          {
            kind: 'scheduled',
            type: 'chat',
            clientId: client.id,
            expertId: expert.id,
            scheduledAt: start,
            durationMinutes: 30,
          },
          {
            actor: { id: null, role: 'system' },
            booking: {
              price: 2500,
              holds: {
                start: new Date(start),
                end: new Date(Date.parse(start) + minutes * 60_000),
              },
            },
          },
        ),
      );
    await insert('2026-03-07T09:00:00Z', 45);
    await expect(insert('2026-03-07T09:30:00Z', 30)).rejects.toMatchObject({ code: '23P01' });
    // Back to back with the held time (its buffer included) is fine.
    await expect(insert('2026-03-07T09:45:00Z', 30)).resolves.toBeDefined();
  });

  it(`${CONTENDERS} clients book one slot at once: exactly one wins, the rest get slot_taken, one escrow hold — ${ROUNDS} rounds`, async () => {
    const clients: Principal[] = [];
    for (let i = 0; i < CONTENDERS; i++) {
      const c = await buildClient(server.deps);
      await fund(server.deps, c.id, 1_000_000);
      clients.push({ kind: 'user', userId: c.id, role: 'client', authSessionHash: '' });
    }
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      // Each round another 15-minute slot, from 8 March on.
      const startsAt = new Date(
        Date.parse('2026-03-08T00:00:00Z') + round * 30 * 60_000,
      ).toISOString();
      const results = await Promise.allSettled(
        clients.map((p) =>
          bookSlot(server.deps, p, {
            expertId: expert.id,
            type: 'chat',
            startsAt,
            durationMinutes: 15,
            slotId: null,
            payWith: 'wallet',
          }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const codes = results.flatMap((r) =>
        r.status === 'rejected' ? [(r.reason as { code?: string }).code ?? String(r.reason)] : [],
      );
      for (const c of codes) outcomes[c] = (outcomes[c] ?? 0) + 1;
      expect(won).toHaveLength(1);
      expect(codes.filter((c) => c !== 'slot_taken')).toEqual([]);
      const holds = await server.deps.db
        .selectFrom('ledger_transfers as t')
        .innerJoin('sessions as s', 's.id', 't.session_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('s.expert_id', '=', expert.id)
        .where('s.scheduled_at', '=', new Date(startsAt))
        .where('t.kind', '=', 'escrow_hold')
        .executeTakeFirstOrThrow();
      expect(Number(holds.n)).toBe(1);
    }
    console.log(
      `[booking race] ${target.name}: ${ROUNDS} rounds × ${CONTENDERS} clients, refusals ${JSON.stringify(outcomes)}`,
    );
  }, 600_000);
});
