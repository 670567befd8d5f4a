import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSignedIn, fund } from '../../../test-support/factories.ts';
import { connectUser, nextEvent } from '../../../test-support/realtime.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import type { DomainEvent } from '../../src/platform/events.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');

/** C1/C2: available experts, a client's request, the expert's answer, expiry. */
describeOnDatabases('on-demand requests', (target) => {
  let server: TestServer;
  const events: DomainEvent[] = [];
  type SignedIn = Awaited<ReturnType<typeof buildSignedIn>>;
  const online = (expert: SignedIn, presence: 'online' | 'offline' = 'online') =>
    expert.api.call('updateMyExpertProfile', { body: { presence } });
  const request = (client: SignedIn, expert: SignedIn, type: 'chat' | 'voice' | 'video' = 'chat') =>
    client.api.call('requestSession', { body: { expertId: expert.user.id, type } });
  const answer = (expert: SignedIn, id: string, how: 'accept' | 'decline') =>
    expert.api.call(how === 'accept' ? 'acceptRequest' : 'declineRequest', {
      params: { id },
      body: {},
    });
  const join = (token: string, id: string) =>
    clientFor(server.url, { joinToken: token }).call('joinSession', { params: { id }, body: {} });
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
    expect(r).toMatchObject({
      session: { kind: 'on_demand', state: 'requested', ratePerMinute: 100 },
      link: { role: 'client' },
      expiresAt: new Date(T0 + 60_000).toISOString(),
    });
    const id = r.session.id;
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
    expect((await refusal(join(r.link.token, id))).code).toBe('invalid_transition');
    const a = await answer(expert, id, 'accept');
    expect(a).toMatchObject({ session: { state: 'accepted' }, link: { role: 'expert' } });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'request.answered',
        sessionId: id,
        clientId: client.user.id,
        state: 'accepted',
      }),
    );
    await join(r.link.token, id);
    expect((await join(a.link!.token, id)).state).toBe('live');
    // Live: the expert shows as busy, and is not offered to others.
    const anyone = clientFor(server.url);
    expect((await anyone.call('getExpert', { params: { id: expert.user.id } })).presence).toBe(
      'busy',
    );
    const available = await anyone.call('listExperts', {
      query: { available: 'true', limit: 100 },
    });
    expect(available.items.map((e) => e.id)).not.toContain(expert.user.id);
    const other = await buildSignedIn(server, 'client');
    await fund(server.deps, other.user.id, 10_000);
    expect((await refusal(request(other, expert))).code).toBe('expert_unavailable');
  });

  it("the expert's user channel hears the request live; the client's hears the answer", async () => {
    const { client, expert } = await pair();
    const expertChannel = await connectUser(server.url, expert.headers as never);
    const clientChannel = await connectUser(server.url, client.headers as never);
    try {
      const heard = nextEvent(expertChannel, 'request:new');
      const r = await request(client, expert, 'voice');
      expect(await heard).toEqual({
        sessionId: r.session.id,
        clientId: client.user.id,
        type: 'voice',
        expiresAt: new Date(T0 + 60_000).toISOString(),
      });
      const answered = nextEvent(clientChannel, 'request:answered');
      await answer(expert, r.session.id, 'decline');
      expect(await answered).toEqual({ sessionId: r.session.id, state: 'declined' });
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
    expect(await refusal(request(client, expert))).toMatchObject({
      code: 'insufficient_funds',
      details: { required: 300, balance: 299 },
    });
    await fund(server.deps, client.user.id, 1);
    await online(expert, 'offline');
    expect((await refusal(request(client, expert))).code).toBe('expert_unavailable');
    expect((await refusal(request(expert, expert))).code).toBe('forbidden');
    expect(
      await server.deps.db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ).toEqual(before);
    await online(expert);
    await expert.api.call('updateMyExpertProfile', { body: { rates: { chat: 100 } } });
    expect((await refusal(request(client, expert, 'video'))).code).toBe('validation_failed');
    expect(
      await server.deps.db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ).toEqual(before);
    expect((await request(client, expert)).session.state).toBe('requested');
  });

  it('the expert declines; only that expert may answer', async () => {
    const { client, expert } = await pair();
    const r = await request(client, expert);
    const stranger = await buildSignedIn(server, 'expert');
    expect((await refusal(answer(stranger, r.session.id, 'accept'))).code).toBe('forbidden');
    expect(
      (await refusal(client.api.call('acceptRequest', { params: { id: r.session.id }, body: {} })))
        .code,
    ).toBe('forbidden');
    const d = await answer(expert, r.session.id, 'decline');
    expect(d).toMatchObject({ session: { state: 'declined' }, link: null });
    expect((await refusal(join(r.link.token, r.session.id))).code).toBe('invalid_transition');
  });

  it('unanswered for REQUEST_TTL_S, a request expires — by the sweep, or when the expert answers too late', async () => {
    const { client, expert } = await pair();
    const swept = await request(client, expert);
    const late = await request(client, expert);
    server.clock.set(new Date(T0 + 61_000));
    expect((await refusal(answer(expert, late.session.id, 'accept'))).code).toBe(
      'invalid_transition',
    );
    await runSweeps(server.deps);
    for (const id of [swept.session.id, late.session.id]) {
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
      .where('session_id', '=', swept.session.id)
      .where('kind', '=', 'expired')
      .executeTakeFirstOrThrow();
    expect(trail.at).toEqual(new Date(T0 + 60_000));
    server.clock.set(new Date(T0));
  });
});
