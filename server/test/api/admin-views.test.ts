import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  buildApiKey,
  buildLiveSession,
  buildSession,
  buildSignedIn,
  operator,
} from '../../../test-support/factories.ts';
import type { ResponseOf } from '@hourglass/protocol';
import type { HourglassClient } from '../../../sdk/src/client.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { openDispute, settleEscrow } from '../../src/billing/escrow-service.ts';
import { cancelSession, endSession } from '../../src/sessions/service.ts';

/** G7: what operators see — sessions live now, escrow held / due / disputed, refunds — and only they. */
describeOnDatabases('admin views', (target) => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startServer(target);
    key = await buildApiKey(server.deps);
  });
  afterAll(() => server?.close());
  type View = 'adminSessions' | 'adminEscrow' | 'adminRefunds';
  /** An operator's view, asked with the query string the admin pages build. */
  const view = <N extends View>(
    name: N,
    query = '',
    as: HourglassClient = clientFor(server.url, { apiKey: key }),
  ): Promise<ResponseOf<N>> =>
    as.call(name, { query: Object.fromEntries(new URLSearchParams(query)) } as never);
  const participant = (s: Awaited<ReturnType<typeof buildSession>>, role: 'client' | 'expert') =>
    ({
      kind: 'participant',
      sessionId: s.session.id,
      userId: role === 'client' ? s.client.id : s.expert.id,
      role,
    }) as const;

  it('live sessions now, with both people and what was charged; other states by filter; by cursor', async () => {
    const [a, b] = [
      await buildLiveSession(server.deps, { type: 'voice' }),
      await buildLiveSession(server.deps),
    ];
    const waiting = await buildSession(server.deps);
    const live = await view('adminSessions');
    const ours = live.items.filter((s: { id: string }) =>
      [a.session.id, b.session.id].includes(s.id),
    );
    expect(ours.map((s: { id: string }) => s.id)).toEqual([b.session.id, a.session.id]);
    expect(ours[1]).toMatchObject({
      state: 'live',
      type: 'voice',
      kind: 'on_demand',
      client: { id: a.client.id, name: a.client.name },
      expert: { id: a.expert.id, name: a.expert.name },
      ratePerMinute: 200,
      charged: 200,
      startedAt: expect.any(String),
    });
    expect(
      (await view('adminSessions', 'state=accepted')).items.map((s: { id: string }) => s.id),
    ).toContain(waiting.session.id);
    const first = await view('adminSessions', 'limit=1');
    expect(first.items).toHaveLength(1);
    const second = await view('adminSessions', `limit=1&cursor=${first.nextCursor}`);
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    // The audit trail of any session is the operator's to read.
    expect(
      (
        await clientFor(server.url, { apiKey: key }).call('sessionEvents', {
          params: { id: a.session.id },
        })
      ).items.map((e) => e.kind),
    ).toEqual(expect.arrayContaining(['created', 'both_joined', 'started', 'charged']));
    expect((await refusal(view('adminSessions', 'state=sleeping'))).code).toBe('validation_failed');
  });

  it('escrow held (and when it is due), disputed with the reason, refunded; refunds to wallets and cards, newest first', async () => {
    const booked = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date('2026-03-09T12:00:00Z'),
    });
    const done = await buildLiveSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date('2026-03-02T12:03:00Z'),
    });
    await endSession(server.deps, operator, done.session.id, undefined);
    const held = (await view('adminEscrow')).items;
    expect(
      held.find((e: { sessionId: string }) => e.sessionId === booked.session.id),
    ).toMatchObject({
      state: 'held',
      price: 2500,
      held: 2500,
      releaseAt: null,
      client: { name: booked.client.name },
    });
    expect(held.find((e: { sessionId: string }) => e.sessionId === done.session.id)).toMatchObject({
      held: 2500,
      releaseAt: '2026-03-03T12:00:00.000Z',
    });

    await openDispute(
      server.deps,
      participant(done, 'client'),
      done.session.id,
      'The expert left after 10 minutes.',
    );
    expect((await view('adminEscrow', 'state=disputed')).items).toEqual([
      expect.objectContaining({
        sessionId: done.session.id,
        disputeReason: 'The expert left after 10 minutes.',
        disputedAt: expect.any(String),
      }),
    ]);
    server.clock.advance(1000);
    await settleEscrow(server.deps, operator, done.session.id, { refund: 1000 });
    server.clock.advance(1000);
    await cancelSession(server.deps, participant(booked, 'client'), booked.session.id);
    expect(
      (await view('adminEscrow', 'state=settled')).items.map(
        (e: { sessionId: string }) => e.sessionId,
      ),
    ).toContain(done.session.id);
    expect(
      (await view('adminEscrow', 'state=refunded')).items.map(
        (e: { sessionId: string }) => e.sessionId,
      ),
    ).toContain(booked.session.id);

    // A refund to a card, as the provider-refund sweep keeps it (payments/refunds.ts).
    server.clock.advance(1000);
    const now = await server.clock.now();
    await server.deps.db
      .insertInto('provider_refunds')
      .values({
        id: `refund:${booked.client.id}:k1`,
        provider: 'stripe',
        user_id: booked.client.id,
        payment_ref: 'pi_1',
        amount: 700,
        reason: 'extension_not_applicable',
        session_id: booked.session.id,
        state: 'failed',
        provider_ref: null,
        last_error: 'card expired',
        next_attempt_at: now,
        created_at: now,
        finished_at: now,
      })
      .execute();
    const refunds = await view('adminRefunds', 'limit=2');
    expect(refunds.items).toEqual([
      expect.objectContaining({
        to: 'card',
        state: 'failed',
        amount: 700,
        reason: 'extension_not_applicable',
        lastError: 'card expired',
        client: { id: booked.client.id, name: booked.client.name },
      }),
      expect.objectContaining({
        to: 'wallet',
        state: 'done',
        amount: 2500,
        reason: 'cancelled',
        sessionId: booked.session.id,
      }),
    ]);
    const older = await view(
      'adminRefunds',
      `limit=2&cursor=${encodeURIComponent(refunds.nextCursor!)}`,
    );
    expect(older.items[0]).toMatchObject({
      to: 'wallet',
      amount: 1000,
      reason: 'dispute',
      sessionId: done.session.id,
    });
    expect((await refusal(view('adminRefunds', 'cursor=nope'))).code).toBe('validation_failed');
  });

  it('no one but an operator: a client, an expert and a join link are refused', async () => {
    const client = await buildSignedIn(server, 'client');
    const expert = await buildSignedIn(server, 'expert');
    const s = await buildSession(server.deps);
    const link = clientFor(server.url, { joinToken: s.links.client.token });
    for (const name of ['adminSessions', 'adminEscrow', 'adminRefunds'] as const) {
      expect((await refusal(view(name, '', client.api))).code).toBe('forbidden');
      expect((await refusal(view(name, '', expert.api))).code).toBe('forbidden');
      expect((await refusal(view(name, '', link))).code).toBe('unauthenticated');
    }
  });
});
