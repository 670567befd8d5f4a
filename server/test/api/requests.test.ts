import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSignedIn, fund } from '../../../test-support/factories.ts';
import { connectUser, nextEvent } from '../../../test-support/realtime.ts';
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';
import type { DomainEvent } from '../../src/platform/events.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');

/** C1/C2: available experts, a client's request, the expert's answer, expiry. */
describeOnDatabases('on-demand requests', (target) => {
  let server: TestServer;
  const events: DomainEvent[] = [];
  type SignedIn = Awaited<ReturnType<typeof buildSignedIn>>;
  const online = async (expert: SignedIn, presence: 'online' | 'offline' = 'online') =>
    expect(
      (
        await call(server.url, 'PATCH', '/api/experts/me', {
          headers: expert.headers,
          body: { presence },
        })
      ).status,
    ).toBe(200);
  const request = (client: SignedIn, expert: SignedIn, type = 'chat') =>
    call(server.url, 'POST', '/api/requests', {
      headers: client.headers,
      body: { expertId: expert.user.id, type },
    });
  const answer = (expert: SignedIn, id: string, how: 'accept' | 'decline') =>
    call(server.url, 'POST', `/api/requests/${id}/${how}`, { headers: expert.headers, body: {} });
  const join = (token: string, id: string) =>
    call(server.url, 'POST', `/api/sessions/${id}/join`, {
      headers: { 'x-join-token': token },
      body: {},
    });
  async function pair(credit = 10_000) {
    const client = await buildSignedIn(server, 'client');
    const expert = await buildSignedIn(server, 'expert');
    if (credit > 0) await fund(server.deps, client.user.id, credit);
    await online(expert);
    return { client, expert };
  }

  beforeAll(async () => {
    server = await startServer(target);
    server.deps.events.subscribe((e) => events.push(e));
  });
  afterAll(() => server?.close());

  it('a client asks an online expert; the expert is told, accepts, and both join with their links', async () => {
    const { client, expert } = await pair();
    const r = await request(client, expert);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({
      session: { kind: 'on_demand', state: 'requested', ratePerMinute: 100 },
      link: { role: 'client' },
      expiresAt: new Date(T0 + 60_000).toISOString(),
    });
    const id = r.body.session.id;
    expect(events).toContainEqual({
      type: 'request.created',
      sessionId: id,
      expertId: expert.user.id,
      clientId: client.user.id,
      kind: 'on_demand',
      sessionType: 'chat',
      expiresAt: new Date(T0 + 60_000).toISOString(),
    });
    // Not joinable before the answer.
    expect(errorCode(await join(r.body.link.token, id))).toBe('invalid_transition');
    const a = await answer(expert, id, 'accept');
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body).toMatchObject({ session: { state: 'accepted' }, link: { role: 'expert' } });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'request.answered',
        sessionId: id,
        clientId: client.user.id,
        state: 'accepted',
      }),
    );
    await join(r.body.link.token, id);
    expect((await join(a.body.link.token, id)).body.state).toBe('live');
    // Live: the expert shows as busy, and is not offered to others.
    expect((await call(server.url, 'GET', `/api/experts/${expert.user.id}`)).body.presence).toBe(
      'busy',
    );
    const available = await call(server.url, 'GET', '/api/experts?available=true&limit=100');
    expect(available.body.items.map((e: { id: string }) => e.id)).not.toContain(expert.user.id);
    const other = await buildSignedIn(server, 'client');
    await fund(server.deps, other.user.id, 10_000);
    expect(errorCode(await request(other, expert))).toBe('expert_unavailable');
  });

  it("the expert's user channel hears the request live; the client's hears the answer", async () => {
    const { client, expert } = await pair();
    const expertChannel = await connectUser(server.url, expert.headers as never);
    const clientChannel = await connectUser(server.url, client.headers as never);
    try {
      const heard = nextEvent(expertChannel, 'request:new');
      const r = await request(client, expert, 'voice');
      expect(await heard).toEqual({
        sessionId: r.body.session.id,
        clientId: client.user.id,
        type: 'voice',
        expiresAt: new Date(T0 + 60_000).toISOString(),
      });
      const answered = nextEvent(clientChannel, 'request:answered');
      await answer(expert, r.body.session.id, 'decline');
      expect(await answered).toEqual({ sessionId: r.body.session.id, state: 'declined' });
    } finally {
      expertChannel.close();
      clientChannel.close();
    }
    // The cookie alone is not enough (a cross-site page could send it): the CSRF token must match.
    await expect(
      connectUser(server.url, expert.headers as never, 'not-the-token'),
    ).rejects.toMatchObject({ code: 'csrf_failed' });
    await expect(
      connectUser(server.url, { cookie: '', 'x-csrf-token': 'x' }),
    ).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('refused: a wallet short of the minimum minutes, an offline expert, a type not offered — nothing made', async () => {
    const { client, expert } = await pair(299); // 3 minutes at 100 need 300
    const before = await server.deps.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const short = await request(client, expert);
    expect(errorCode(short)).toBe('insufficient_funds');
    expect(short.body.error.details).toEqual({ required: 300, balance: 299 });
    await fund(server.deps, client.user.id, 1);
    await online(expert, 'offline');
    expect(errorCode(await request(client, expert))).toBe('expert_unavailable');
    expect(errorCode(await request(expert, expert))).toBe('forbidden');
    expect(
      await server.deps.db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ).toEqual(before);
    await online(expert);
    await call(server.url, 'PATCH', '/api/experts/me', {
      headers: expert.headers,
      body: { rates: { chat: 100 } },
    });
    expect(errorCode(await request(client, expert, 'video'))).toBe('validation_failed');
    expect(
      await server.deps.db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ).toEqual(before);
    expect((await request(client, expert)).status).toBe(201);
  });

  it('the expert declines; only that expert may answer', async () => {
    const { client, expert } = await pair();
    const r = await request(client, expert);
    const stranger = await buildSignedIn(server, 'expert');
    expect(errorCode(await answer(stranger, r.body.session.id, 'accept'))).toBe('forbidden');
    expect(
      errorCode(
        await call(server.url, 'POST', `/api/requests/${r.body.session.id}/accept`, {
          headers: client.headers,
          body: {},
        }),
      ),
    ).toBe('forbidden');
    const d = await answer(expert, r.body.session.id, 'decline');
    expect(d.body).toMatchObject({ session: { state: 'declined' }, link: null });
    expect(errorCode(await join(r.body.link.token, r.body.session.id))).toBe('invalid_transition');
  });

  it('unanswered for REQUEST_TTL_S, a request expires — by the sweep, or when the expert answers too late', async () => {
    const { client, expert } = await pair();
    const swept = await request(client, expert);
    const late = await request(client, expert);
    server.clock.set(new Date(T0 + 61_000));
    const answered = await answer(expert, late.body.session.id, 'accept');
    expect(errorCode(answered)).toBe('invalid_transition');
    await runSweeps(server.deps);
    for (const id of [swept.body.session.id, late.body.session.id]) {
      const s = await server.deps.db
        .selectFrom('sessions')
        .select('state')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(s.state).toBe('expired');
    }
    const trail = await server.deps.db
      .selectFrom('session_events')
      .select(['kind', 'at'])
      .where('session_id', '=', swept.body.session.id)
      .where('kind', '=', 'expired')
      .executeTakeFirstOrThrow();
    expect(trail.at).toEqual(new Date(T0 + 60_000));
    server.clock.set(new Date(T0));
  });
});
