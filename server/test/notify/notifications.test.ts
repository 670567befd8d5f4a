import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  buildApiKey,
  buildLiveSession,
  buildSession,
  buildSignedIn,
  fund,
  joinBoth,
  operator,
} from '../../../test-support/factories.ts';
import { connectUser, nextEvent } from '../../../test-support/realtime.ts';
import type { HourglassClient } from '../../../sdk/src/client.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { adminCredit } from '../../src/billing/wallet.ts';
import { inTransaction } from '../../src/platform/transaction.ts';
import { cancelSession, endSession } from '../../src/sessions/service.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

/** F1: notifications are stored with the change they report, listed and marked read per user, and pushed live. */
describeOnDatabases('notifications', (target) => {
  let server: TestServer;
  type SignedIn = Awaited<ReturnType<typeof buildSignedIn>>;
  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  /** One's notifications, asked with the query string a page would build. */
  const list = (who: { api: HourglassClient }, query = '') =>
    who.api.call('listNotifications', {
      query: Object.fromEntries(new URLSearchParams(query.replace(/^\?/, ''))) as never,
    });
  const kinds = async (who: SignedIn) => (await list(who)).items.map((n) => n.kind);
  const rowsFor = (userId: string) =>
    server.deps.db.selectFrom('notifications').selectAll().where('user_id', '=', userId).execute();

  it('an on-demand session told to each side as it happens: request (live on the channel), answer, start, end', async () => {
    const client = await buildSignedIn(server, 'client');
    const expert = await buildSignedIn(server, 'expert');
    await fund(server.deps, client.user.id, 10_000);
    await expert.api.call('updateMyExpertProfile', { body: { presence: 'online' } });
    const channel = await connectUser(server.url, expert.headers);
    try {
      const pushed = nextEvent(channel, 'notification', (n) => n.kind === 'request_new');
      const asked = await client.api.call('requestSession', {
        body: { expertId: expert.user.id, type: 'voice' },
      });
      const sessionId = asked.session.id;
      const live = await pushed;
      expect(live).toMatchObject({
        kind: 'request_new',
        sessionId,
        counterpartName: client.user.name,
        readAt: null,
        data: { sessionType: 'voice', sessionKind: 'on_demand' },
      });
      // The push is the stored notification, as the list shows it.
      const first = await list(expert);
      expect(first.items[0]).toEqual(live);
      expect(first.unreadCount).toBe(1);

      await expert.api.call('acceptRequest', { params: { id: sessionId }, body: {} });
      expect(await kinds(client)).toEqual(['request_accepted', 'wallet_credited']);
      await joinBoth(server.deps, {
        session: { id: sessionId },
        client: client.user,
        expert: expert.user,
      });
      await endSession(server.deps, operator, sessionId, undefined);
      // Ending again is the same end: no second notification.
      await endSession(server.deps, operator, sessionId, undefined);
      expect(await kinds(client)).toEqual([
        'session_ended',
        'session_started',
        'request_accepted',
        'wallet_credited',
      ]);
      expect(await kinds(expert)).toEqual(['session_ended', 'session_started', 'request_new']);
      const ended = (await list(expert)).items[0]!;
      expect(ended).toMatchObject({
        sessionId,
        counterpartName: client.user.name,
        data: { reason: 'ended_by_admin' },
      });
    } finally {
      channel.close();
    }
  });

  it('bookings and money: booked and cancelled to the other side, the refund and credits to the client, the release to the expert', async () => {
    const client = await buildSignedIn(server, 'client');
    const expert = await buildSignedIn(server, 'expert');
    // The same credit sent twice (one idempotency key) is one credit and one notification.
    await adminCredit(server.deps, operator, client.user.id, { amount: 5_000, key: 'once' });
    await adminCredit(server.deps, operator, client.user.id, { amount: 5_000, key: 'once' });
    const s = await buildSession(server.deps, {
      kind: 'scheduled',
      client: client.user,
      expert: expert.user,
      credit: 0,
      scheduledAt: new Date(Date.parse('2026-03-05T12:00:00Z')),
    });
    expect((await list(expert)).items[0]).toMatchObject({
      kind: 'booking_new',
      sessionId: s.session.id,
      counterpartName: client.user.name,
      data: { price: 2500, scheduledAt: '2026-03-05T12:00:00.000Z' },
    });
    await cancelSession(
      server.deps,
      { kind: 'participant', sessionId: s.session.id, userId: client.user.id, role: 'client' },
      s.session.id,
    );
    expect((await list(expert)).items[0]).toMatchObject({
      kind: 'booking_cancelled',
      data: { by: 'client', refundPercent: 100 },
    });
    expect((await list(client)).items.map((n) => [n.kind, n.data.amount])).toEqual([
      ['escrow_refunded', 2500],
      ['wallet_credited', 5000],
    ]);
    // Who cancelled is not told of it.
    expect((await rowsFor(client.user.id)).map((r) => r.kind)).not.toContain('booking_cancelled');

    // A session that took place: its escrow is released after the dispute window, and the expert hears of it.
    const held = await buildLiveSession(server.deps, {
      kind: 'scheduled',
      expert: expert.user,
      scheduledAt: new Date(Date.parse('2026-03-02T12:03:00Z')),
    });
    await endSession(server.deps, operator, held.session.id, undefined);
    server.clock.advance(25 * 3_600_000);
    await runSweeps(server.deps);
    expect((await list(expert)).items[0]).toMatchObject({
      kind: 'escrow_released',
      sessionId: held.session.id,
      data: { amount: 2500 },
    });
  });

  it('pages newest first, filters unread, and marks only the caller’s own read', async () => {
    const client = await buildSignedIn(server, 'client');
    const other = await buildSignedIn(server, 'client');
    for (let i = 0; i < 5; i++) await fund(server.deps, client.user.id, 100 + i);
    await fund(server.deps, other.user.id, 100);
    const page1 = await list(client, '?limit=2');
    expect(page1.items.map((n) => n.data.amount)).toEqual([104, 103]);
    const page2 = await list(client, `?limit=2&cursor=${page1.nextCursor}`);
    expect(page2.items.map((n) => n.data.amount)).toEqual([102, 101]);
    expect(page1.unreadCount).toBe(5);

    const othersId = (await list(other)).items[0]!.id;
    const mark = (who: SignedIn, body: unknown) =>
      who.api.call('markNotificationsRead', { body: body as never });
    const markedAt = (await server.clock.now()).toISOString();
    const marked = await mark(client, { ids: [page1.items[0]!.id, othersId] });
    expect(marked).toEqual({ unreadCount: 4 });
    // Someone else's id changed nothing.
    expect((await list(other)).items[0]!.readAt).toBeNull();
    const firstRead = (await list(client)).items[0]!.readAt;
    expect(firstRead).toBe(markedAt);
    expect((await list(client, '?unread=true')).items.map((n) => n.data.amount)).toEqual([
      103, 102, 101, 100,
    ]);
    server.clock.advance(60_000);
    expect(await mark(client, { all: true })).toEqual({ unreadCount: 0 });
    // Read stays read at its first time.
    expect((await list(client)).items[0]!.readAt).toBe(firstRead);
    expect((await list(other)).unreadCount).toBe(1);
    // Bad input is refused and changes nothing.
    expect((await refusal(mark(other, { ids: [] }))).code).toBe('validation_failed');
    expect((await refusal(mark(other, { all: false }))).code).toBe('validation_failed');
    expect((await refusal(list(other, '?cursor=nope'))).code).toBe('validation_failed');
    expect((await list(other)).unreadCount).toBe(1);
  });

  it('only a signed-in user reads their own: no API key, no join token', async () => {
    const key = await buildApiKey(server.deps);
    expect((await refusal(list({ api: clientFor(server.url, { apiKey: key }) }))).code).toBe(
      'unauthenticated',
    );
    const s = await buildSession(server.deps);
    expect(
      (await refusal(list({ api: clientFor(server.url, { joinToken: s.links.client.token }) })))
        .code,
    ).toBe('unauthenticated');
  });

  it('a transaction that rolls back leaves no notification (and no webhook delivery)', async () => {
    const s = await buildSession(server.deps);
    const before = (await rowsFor(s.client.id)).length;
    await expect(
      inTransaction(server.deps, async (tx) => {
        const { db: _trx, now: _now, outbox } = tx;
        outbox.push({ type: 'wallet.credited', userId: s.client.id, amount: 1, balance: 1 });
        // The recorder runs before the commit: a failure after it takes its rows with it.
        await server.deps.events.record(_trx, _now, outbox);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await rowsFor(s.client.id)).toHaveLength(before);
  });
});
