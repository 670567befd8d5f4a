import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  buildLiveSession,
  buildSession,
  buildSignedIn,
  fund,
  joinBoth,
  operator,
} from '../../../test-support/factories.ts';
import { connectRoom, nextEvent } from '../../../test-support/realtime.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { putSchedule } from '../../src/booking/schedule.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { endSession } from '../../src/sessions/service.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');

/** E6: paid extensions of a live scheduled session, from the wallet (and `local` checkout). */
describeOnDatabases('session extensions', (target) => {
  let server: TestServer;
  const balance = async (account: string) =>
    Number(
      (
        await server.deps.db
          .selectFrom('ledger_accounts')
          .select('balance')
          .where('id', '=', account)
          .executeTakeFirst()
      )?.balance ?? 0,
    );
  const endsAt = async (id: string) =>
    (
      await server.deps.db
        .selectFrom('sessions')
        .select('ends_at')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).ends_at!;
  const extend = (id: string, joinToken: string, body: unknown, idempotencyKey?: string) =>
    clientFor(server.url, { joinToken }).call('extendSession', {
      params: { id },
      body: body as never,
      ...(idempotencyKey && { idempotencyKey }),
    });
  const live = (credit = 5000) =>
    buildLiveSession(server.deps, { kind: 'scheduled', scheduledAt: new Date(T0), credit });

  beforeAll(async () => {
    server = await startServer(target);
  });
  afterEach(async () => {
    server.clock.set(new Date(T0));
    expect(await ledgerViolations(server.deps.db, server.deps.config.SPLIT_EXPERT_PERCENT)).toEqual(
      [],
    );
  });
  afterAll(() => server?.close());

  it('from the wallet: paid into escrow, the deadline moves, both rooms hear it; the same key is the same purchase', async () => {
    const s = await live();
    const [c, e] = await Promise.all([
      connectRoom(server.url, s.links.client.token),
      connectRoom(server.url, s.links.expert.token),
    ]);
    try {
      const deadline = await endsAt(s.session.id);
      const moved = new Date(deadline.getTime() + 10 * 60_000).toISOString();
      const heard = [c.socket, e.socket].map((socket) =>
        nextEvent(socket, 'session:extended', (p) => p.endsAt === moved, 1000),
      );
      const r = await extend(s.session.id, s.links.client.token, { minutes: 10 }, 'ten-more');
      expect(r).toMatchObject({
        extension: { minutes: 10, amount: 1000, payWith: 'wallet', state: 'applied' },
        endsAt: moved,
        checkoutUrl: null,
      });
      await Promise.all(heard);
      expect([
        await balance(`wallet:${s.client.id}`),
        await balance(`escrow:${s.session.id}`),
      ]).toEqual([5000 - 2500 - 1000, 2500 + 1000]);

      const again = await extend(s.session.id, s.links.client.token, { minutes: 10 }, 'ten-more');
      expect([again.extension.id, again.endsAt]).toEqual([r.extension.id, moved]);
      expect(await balance(`escrow:${s.session.id}`)).toBe(3500);
      expect(
        (await refusal(extend(s.session.id, s.links.client.token, { minutes: 5 }, 'ten-more')))
          .code,
      ).toBe('idempotency_conflict');
      const audit = await server.deps.db
        .selectFrom('session_events')
        .select('kind')
        .where('session_id', '=', s.session.id)
        .where('kind', '=', 'extended')
        .execute();
      expect(audit).toHaveLength(1);
    } finally {
      c.socket.close();
      e.socket.close();
    }
  });

  it('the completed session releases the extension with the price', async () => {
    const s = await live();
    await extend(s.session.id, s.links.client.token, { minutes: 5 });
    await endSession(server.deps, operator, s.session.id, undefined);
    expect(await balance(`escrow:${s.session.id}`)).toBe(3000);
  });

  it('refuses, changing nothing: an unpaid wallet, a length not offered, the expert, a stranger, a session not live or ended, on demand', async () => {
    const poor = await live(2500 + 400);
    const deadline = await endsAt(poor.session.id);
    expect(
      (await refusal(extend(poor.session.id, poor.links.client.token, { minutes: 5 }))).code,
    ).toBe('insufficient_funds');
    expect(
      (await refusal(extend(poor.session.id, poor.links.client.token, { minutes: 7 }))).code,
    ).toBe('validation_failed');
    expect(
      (
        await refusal(
          extend(poor.session.id, poor.links.client.token, { minutes: 5, payWith: 'cash' }),
        )
      ).code,
    ).toBe('validation_failed');
    expect(
      (await refusal(extend(poor.session.id, poor.links.expert.token, { minutes: 5 }))).code,
    ).toBe('forbidden');
    const stranger = await buildSignedIn(server, 'client');
    const admin = await buildSignedIn(server, 'admin');
    for (const who of [stranger, admin]) {
      const r = who.api.call('extendSession', {
        params: { id: poor.session.id },
        body: { minutes: 5 },
      });
      expect((await refusal(r)).code).toBe('forbidden');
    }
    expect([await endsAt(poor.session.id), await balance(`wallet:${poor.client.id}`)]).toEqual([
      deadline,
      400,
    ]);
    const extensions = await server.deps.db
      .selectFrom('session_extensions')
      .select('id')
      .where('session_id', '=', poor.session.id)
      .execute();
    expect(extensions).toEqual([]);

    const booked = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0 + 3_600_000),
    });
    expect(
      (await refusal(extend(booked.session.id, booked.links.client.token, { minutes: 5 }))).code,
    ).toBe('invalid_transition');
    await endSession(server.deps, operator, poor.session.id, undefined);
    expect(
      (await refusal(extend(poor.session.id, poor.links.client.token, { minutes: 5 }))).code,
    ).toBe('session_ended');
    const onDemand = await buildLiveSession(server.deps);
    expect(
      (await refusal(extend(onDemand.session.id, onDemand.links.client.token, { minutes: 5 })))
        .code,
    ).toBe('invalid_transition');
  });

  it("a booking's extension may not run into the expert's next booking", async () => {
    const client = await buildSignedIn(server, 'client');
    const expert = await buildSignedIn(server, 'expert');
    await fund(server.deps, client.user.id, 20_000);
    await putSchedule(server.deps, operator, expert.user.id, {
      timeZone: 'UTC',
      weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })),
      overrides: [],
      bufferMinutes: 0,
      minNoticeMinutes: 0,
    });
    const book = async (at: number) => {
      return client.api.call('createBooking', {
        body: {
          expertId: expert.user.id,
          type: 'chat',
          startsAt: new Date(at).toISOString(),
          durationMinutes: 30,
        },
      });
    };
    const first = await book(T0);
    await book(T0 + 30 * 60_000);
    await joinBoth(server.deps, {
      session: first.session,
      client: { id: client.user.id },
      expert: { id: expert.user.id },
    });
    const deadline = await endsAt(first.session.id);
    expect((await refusal(extend(first.session.id, first.link.token, { minutes: 5 }))).code).toBe(
      'expert_unavailable',
    );
    expect(await endsAt(first.session.id)).toEqual(deadline);
    expect(await balance(`escrow:${first.session.id}`)).toBe(2500);
  });

  it('checkout with the local provider is paid and applied at once', async () => {
    const s = await live();
    const r = await extend(s.session.id, s.links.client.token, {
      minutes: 15,
      payWith: 'checkout',
    });
    expect(r).toMatchObject({
      extension: { state: 'applied', amount: 1500, payWith: 'checkout' },
      checkoutUrl: null,
    });
    expect(await balance(`escrow:${s.session.id}`)).toBe(4000);
  });
});
