import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSignedIn, fund, operator } from '../../../test-support/factories.ts';
import type { HourglassClient } from '../../../sdk/src/client.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { putSchedule } from '../../src/booking/schedule.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { joinSession } from '../../src/sessions/service.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');
const hoursFromNow = (h: number) => new Date(T0 + h * 3_600_000).toISOString();

/** B5: cancellation by either side with the refund tiers, rescheduling, and the no-show sweep. */
describeOnDatabases('cancel, reschedule, no-show', (target) => {
  let server: TestServer;
  let client: Awaited<ReturnType<typeof buildSignedIn>>;
  let expert: Awaited<ReturnType<typeof buildSignedIn>>;
  const wallet = async () =>
    Number(
      (
        await server.deps.db
          .selectFrom('ledger_accounts')
          .select('balance')
          .where('id', '=', `wallet:${client.user.id}`)
          .executeTakeFirstOrThrow()
      ).balance,
    );
  const earned = async () =>
    Number(
      (
        await server.deps.db
          .selectFrom('ledger_transfers')
          .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('n'))
          .where('credit_account', '=', `earnings:${expert.user.id}`)
          .where('kind', '=', 'escrow_release')
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** Books 30 minutes at `startsAt` as the client (2,500 at the expert's flat price). */
  const book = (startsAt: string) =>
    client.api.call('createBooking', {
      body: { expertId: expert.user.id, type: 'chat', startsAt, durationMinutes: 30 },
    });
  const cancel = (id: string, as: HourglassClient) =>
    as.call('cancelSession', { params: { id }, body: {} });
  const anyone = () => clientFor(server.url);
  const session = (id: string) =>
    server.deps.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  beforeAll(async () => {
    server = await startServer(target);
    client = await buildSignedIn(server, 'client');
    expert = await buildSignedIn(server, 'expert');
    await fund(server.deps, client.user.id, 1_000_000);
    await putSchedule(server.deps, operator, expert.user.id, {
      timeZone: 'UTC',
      weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })),
      overrides: [],
      bufferMinutes: 0,
      minNoticeMinutes: 0,
    });
  });
  afterEach(async () => {
    server.clock.set(new Date(T0));
    expect(await ledgerViolations(server.deps.db, server.deps.config.SPLIT_EXPERT_PERCENT)).toEqual(
      [],
    );
  });
  afterAll(() => server?.close());

  it('the client cancels: everything back from 24 h before, half from 2 h, nothing later — the rest to the expert', async () => {
    for (const [hours, back] of [
      [48, 2500],
      [24, 2500],
      [10, 1250],
      [2, 1250],
      [1, 0],
    ] as const) {
      const b = await book(hoursFromNow(hours + 100)); // booked well ahead…
      server.clock.set(new Date(T0 + 100 * 3_600_000)); // …then cancelled `hours` before its start
      const [w, e] = [await wallet(), await earned()];
      const r = await cancel(b.session.id, client.api);
      expect(r.state).toBe('cancelled');
      expect((await wallet()) - w).toBe(back);
      expect((await earned()) - e).toBe(2500 - back);
      expect((await session(b.session.id)).escrow_state).toBe(
        back === 2500 ? 'refunded' : 'settled',
      );
      server.clock.set(new Date(T0));
    }
  });

  it('the expert cancels, even at the last minute: everything back; cancelling again changes nothing', async () => {
    const b = await book(hoursFromNow(1));
    const w = await wallet();
    expect((await cancel(b.session.id, expert.api)).state).toBe('cancelled');
    expect((await wallet()) - w).toBe(2500);
    expect((await cancel(b.session.id, expert.api)).state).toBe('cancelled');
    expect((await wallet()) - w).toBe(2500);
    const events = await client.api.call('sessionEvents', { params: { id: b.session.id } });
    expect(events.items.find((e) => e.kind === 'cancelled')).toMatchObject({
      actorRole: 'expert',
      data: { by: 'expert', refundPercent: 100 },
    });
  });

  it('rescheduling moves a booking to another open slot at once; a taken time is refused and nothing moves', async () => {
    const b = await book(hoursFromNow(30));
    const other = await book(hoursFromNow(40));
    const move = (startsAt: string) =>
      client.api.call('reschedule', { params: { id: b.session.id }, body: { startsAt } });
    expect((await refusal(move(hoursFromNow(40)))).code).toBe('slot_taken');
    expect((await session(b.session.id)).scheduled_at).toEqual(new Date(hoursFromNow(30)));
    // Into its own time, 15 minutes later (it does not block itself).
    const r = await move(new Date(Date.parse(hoursFromNow(30)) + 30 * 60_000).toISOString());
    expect(r).toMatchObject({
      state: 'booked',
      scheduledAt: new Date(Date.parse(hoursFromNow(30)) + 30 * 60_000).toISOString(),
    });
    // The old time is open again; the client's link still works and reaches the new start.
    const day = hoursFromNow(30).slice(0, 10);
    const open = await anyone().call('availability', {
      params: { id: expert.user.id },
      query: { date: day, tz: 'UTC', duration: 30 },
    });
    expect(open.slots.map((s) => s.startsAt)).toContain(new Date(hoursFromNow(30)).toISOString());
    const check = await anyone().call('validateToken', { query: { token: b.link.token } });
    expect(check.startWindow?.opensAt).toBe(
      new Date(Date.parse(hoursFromNow(30)) + 25 * 60_000).toISOString(),
    );
    void other;
  });

  it('the no-show sweep: an expert who never came refunds the client and counts against them; a client who never came pays', async () => {
    const noExpert = await book(hoursFromNow(0.5));
    const noClient = await book(hoursFromNow(2));
    const w = await wallet();
    // Inside the window the expert of the second one joins; the client never does.
    server.clock.set(new Date(T0 + 2 * 3_600_000));
    const expertId = expert.user.id;
    await joinSession(
      server.deps,
      { kind: 'participant', sessionId: noClient.session.id, userId: expertId, role: 'expert' },
      noClient.session.id,
    );
    // 12:30 + 15 min has passed for the first; 14:00 + 15 for the second after this.
    server.clock.set(new Date(T0 + 2.5 * 3_600_000));
    await runSweeps(server.deps);
    expect(await session(noExpert.session.id)).toMatchObject({
      state: 'no_show',
      escrow_state: 'refunded',
    });
    expect(await session(noClient.session.id)).toMatchObject({
      state: 'no_show',
      escrow_state: 'held',
      escrow_release_at: new Date(T0 + 2.5 * 3_600_000 + 24 * 3_600_000),
    });
    expect((await wallet()) - w).toBe(2500);
    const profile = await anyone().call('getExpert', { params: { id: expertId } });
    expect(profile.noShowCount).toBe(1);
  });

  it('a live session cannot be cancelled; a stranger cannot cancel', async () => {
    const b = await book(hoursFromNow(3));
    const stranger = await buildSignedIn(server, 'client');
    expect((await refusal(cancel(b.session.id, stranger.api))).code).toBe('forbidden');
    server.clock.set(new Date(T0 + 3 * 3_600_000));
    for (const role of ['client', 'expert'] as const) {
      const userId = role === 'client' ? client.user.id : expert.user.id;
      await joinSession(
        server.deps,
        { kind: 'participant', sessionId: b.session.id, userId, role },
        b.session.id,
      );
    }
    expect((await refusal(cancel(b.session.id, client.api))).code).toBe('invalid_transition');
  });
});
