import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  buildApiKey,
  buildClient,
  buildExpert,
  buildSession,
} from '../../../test-support/factories.ts';
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';

describeOnDatabases('sessions API', (target) => {
  let server: TestServer;
  let key: string;
  const api = (method: string, path: string, opts: Parameters<typeof call>[3] = {}) =>
    call(server.url, method, path, opts);
  const asKey = () => ({ authorization: `Bearer ${key}` });
  const asToken = (token: string) => ({ 'x-join-token': token });

  beforeAll(async () => {
    server = await startServer(target);
    key = await buildApiKey(server.deps);
  });
  afterAll(() => server?.close());

  it('A3: creating a session returns two different unguessable links, stored only as hashes', async () => {
    const [client, expert] = await Promise.all([
      buildClient(server.deps),
      buildExpert(server.deps),
    ]);
    const r = await api('POST', '/api/sessions', {
      headers: asKey(),
      body: { kind: 'on_demand', type: 'video', clientId: client.id, expertId: expert.id },
    });
    expect(r.status).toBe(201);
    const { session, links } = r.body;
    expect(session).toMatchObject({
      state: 'accepted',
      type: 'video',
      ratePerMinute: 300,
      capabilities: { chat: false, audio: true, video: true },
    });
    expect(links.client.token).not.toBe(links.expert.token);
    expect(links.client.url).toBe(`${server.url}/session/${links.client.token}`);
    const stored = await server.deps.db
      .selectFrom('session_tokens')
      .selectAll()
      .where('session_id', '=', session.id)
      .execute();
    expect(stored).toHaveLength(2);
    for (const t of stored) {
      expect(t.token_hash).not.toContain(links.client.token.slice(4));
      expect(t.token_hash).not.toContain(links.expert.token.slice(4));
    }
    const events = await server.deps.db
      .selectFrom('session_events')
      .selectAll()
      .where('session_id', '=', session.id)
      .execute();
    expect(events.map((e) => e.kind)).toEqual(['created']);
  });

  it('refuses sessions the expert does not offer, or with the roles swapped', async () => {
    const [client, expert] = await Promise.all([
      buildClient(server.deps),
      buildExpert(server.deps),
    ]);
    await server.deps.db
      .updateTable('expert_profiles')
      .set({ rates: JSON.stringify({ chat: 100 }) })
      .where('user_id', '=', expert.id)
      .execute();
    const voice = await api('POST', '/api/sessions', {
      headers: asKey(),
      body: { kind: 'on_demand', type: 'voice', clientId: client.id, expertId: expert.id },
    });
    expect([voice.status, errorCode(voice)]).toEqual([400, 'validation_failed']);
    const swapped = await api('POST', '/api/sessions', {
      headers: asKey(),
      body: { kind: 'on_demand', type: 'chat', clientId: expert.id, expertId: client.id },
    });
    expect([swapped.status, errorCode(swapped)]).toEqual([400, 'validation_failed']);
  });

  it('validate tells the holder who they are, who the other side is, and whether they can join', async () => {
    const { links, client, expert, session } = await buildSession(server.deps, { type: 'chat' });
    const r = await api('GET', `/api/sessions/validate?token=${links.expert.token}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      session: { id: session.id, state: 'accepted' },
      participant: { role: 'expert', userId: expert.id, name: expert.name },
      counterpart: { role: 'client', userId: client.id, name: client.name },
      canJoinNow: true,
      startWindow: null,
    });
    expect(errorCode(await api('GET', `/api/sessions/validate?token=hgj_${'x'.repeat(43)}`))).toBe(
      'token_invalid',
    );
    expect(errorCode(await api('GET', '/api/sessions/validate?token=nonsense'))).toBe(
      'token_invalid',
    );
  });

  it('D2: joins record attendance; both joined → live with started_at; the audit trail has every step', async () => {
    const { links, session } = await buildSession(server.deps, { type: 'voice' });
    const c = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(links.client.token),
    });
    expect(c.body).toMatchObject({
      state: 'accepted',
      clientJoinedAt: '2026-03-02T12:00:00.000Z',
      expertJoinedAt: null,
      startedAt: null,
    });
    server.clock.advance(30_000);
    const e = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(links.expert.token),
    });
    expect(e.body).toMatchObject({
      state: 'live',
      startedAt: '2026-03-02T12:00:30.000Z',
      serverNow: '2026-03-02T12:00:30.000Z',
    });
    // A rejoin keeps the first attendance time.
    server.clock.advance(5_000);
    const again = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(links.client.token),
    });
    expect(again.body).toMatchObject({ state: 'live', clientJoinedAt: '2026-03-02T12:00:00.000Z' });
    const events = await api('GET', `/api/sessions/${session.id}/events`, {
      headers: asToken(links.client.token),
    });
    expect(events.body.items.map((i: { kind: string }) => i.kind)).toEqual([
      'created',
      'client_joined',
      'expert_joined',
      'both_joined',
      'started',
      'charged',
      'client_joined',
    ]);
    expect(events.body.items[1]).toMatchObject({ actorRole: 'client', data: { first: true } });
    expect(events.body.items[5]).toMatchObject({
      actorRole: 'system',
      data: { minute: 1, amount: 200 },
    });
    expect(events.body.items[6]).toMatchObject({ data: { first: false } });
  });

  it('D6: ending twice returns the same final record and writes one end event', async () => {
    const { links, session } = await buildSession(server.deps);
    await api('POST', `/api/sessions/${session.id}/join`, { headers: asToken(links.client.token) });
    await api('POST', `/api/sessions/${session.id}/join`, { headers: asToken(links.expert.token) });
    server.clock.advance(600_000);
    const first = await api('POST', `/api/sessions/${session.id}/end`, {
      headers: asToken(links.client.token),
      body: { notes: 'Discussed the chart.' },
    });
    expect(first.body).toMatchObject({
      state: 'ended',
      endReason: 'ended_by_client',
      notes: 'Discussed the chart.',
    });
    server.clock.advance(1_000);
    const second = await api('POST', `/api/sessions/${session.id}/end`, {
      headers: asToken(links.expert.token),
    });
    const { serverNow: _a, ...a } = first.body;
    const { serverNow: _b, ...b } = second.body;
    expect(b).toEqual(a);
    const ends = await server.deps.db
      .selectFrom('session_events')
      .select('kind')
      .where('session_id', '=', session.id)
      .where('kind', '=', 'ended')
      .execute();
    expect(ends).toHaveLength(1);
    const join = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(links.client.token),
    });
    expect([join.status, errorCode(join)]).toEqual([409, 'session_ended']);
  });

  it('ending a session that never went live is refused and changes nothing', async () => {
    const { links, session } = await buildSession(server.deps);
    const r = await api('POST', `/api/sessions/${session.id}/end`, {
      headers: asToken(links.client.token),
    });
    expect([r.status, errorCode(r)]).toEqual([409, 'invalid_transition']);
    const s = await api('GET', `/api/sessions/${session.id}`, { headers: asKey() });
    expect(s.body.state).toBe('accepted');
  });

  it('two participants ending at once: one end, one event, same result for both', async () => {
    const { links, session } = await buildSession(server.deps);
    await api('POST', `/api/sessions/${session.id}/join`, { headers: asToken(links.client.token) });
    await api('POST', `/api/sessions/${session.id}/join`, { headers: asToken(links.expert.token) });
    const [a, b] = await Promise.all([
      api('POST', `/api/sessions/${session.id}/end`, { headers: asToken(links.client.token) }),
      api('POST', `/api/sessions/${session.id}/end`, { headers: asToken(links.expert.token) }),
    ]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.endReason).toBe(b.body.endReason);
    const ends = await server.deps.db
      .selectFrom('session_events')
      .select('kind')
      .where('session_id', '=', session.id)
      .where('kind', '=', 'ended')
      .execute();
    expect(ends).toHaveLength(1);
  });

  it('two participants joining at once: the session goes live exactly once', async () => {
    const { links, session } = await buildSession(server.deps);
    await Promise.all([
      api('POST', `/api/sessions/${session.id}/join`, { headers: asToken(links.client.token) }),
      api('POST', `/api/sessions/${session.id}/join`, { headers: asToken(links.expert.token) }),
    ]);
    const s = await api('GET', `/api/sessions/${session.id}`, { headers: asKey() });
    expect(s.body.state).toBe('live');
    const started = await server.deps.db
      .selectFrom('session_events')
      .select('kind')
      .where('session_id', '=', session.id)
      .where('kind', '=', 'started')
      .execute();
    expect(started).toHaveLength(1);
  });

  it('B6: a scheduled session can be joined only inside its start window; live, it ends at started + duration', async () => {
    const scheduledAt = new Date(Date.parse('2026-03-02T12:00:00Z') + 3_600_000);
    const { links, session } = await buildSession(server.deps, {
      kind: 'scheduled',
      type: 'chat',
      scheduledAt,
      durationMinutes: 30,
    });
    expect(session).toMatchObject({ state: 'booked', price: 2500, durationMinutes: 30 });
    const early = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(links.client.token),
    });
    expect([early.status, errorCode(early)]).toEqual([409, 'outside_start_window']);
    expect(early.body.error.details).toEqual({
      opensAt: '2026-03-02T12:55:00.000Z',
      closesAt: '2026-03-02T13:15:00.000Z',
    });
    server.clock.set('2026-03-02T12:56:00Z');
    const c = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(links.client.token),
    });
    expect(c.body.state).toBe('open');
    server.clock.set('2026-03-02T13:01:00Z');
    const e = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(links.expert.token),
    });
    expect(e.body).toMatchObject({
      state: 'live',
      startedAt: '2026-03-02T13:01:00.000Z',
      endsAt: '2026-03-02T13:31:00.000Z',
    });
    server.clock.set('2026-03-02T12:00:00Z');
  });

  it('a scheduled session whose window has passed cannot be joined', async () => {
    const scheduledAt = new Date(Date.parse('2026-03-02T12:00:00Z') + 600_000);
    const { links, session } = await buildSession(server.deps, { kind: 'scheduled', scheduledAt });
    server.clock.set('2026-03-02T12:25:01Z');
    const late = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(links.expert.token),
    });
    expect(errorCode(late)).toBe('outside_start_window');
    const check = await api('GET', `/api/sessions/validate?token=${links.expert.token}`);
    expect(check.body.canJoinNow).toBe(false);
    server.clock.set('2026-03-02T12:00:00Z');
  });

  it('cancel: an operator cancels a session not yet live; cancelling again is harmless; the links then cannot join', async () => {
    const { links, session } = await buildSession(server.deps);
    const a = await api('POST', `/api/sessions/${session.id}/cancel`, { headers: asKey() });
    expect(a.body.state).toBe('cancelled');
    const b = await api('POST', `/api/sessions/${session.id}/cancel`, { headers: asKey() });
    expect(b.body.state).toBe('cancelled');
    const join = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(links.client.token),
    });
    expect(errorCode(join)).toBe('invalid_transition');
  });

  it('A3: revoked, reissued and expired tokens', async () => {
    const { links, session } = await buildSession(server.deps);
    const revoke = await api('POST', `/api/sessions/${session.id}/tokens/revoke`, {
      headers: asKey(),
      body: { role: 'client' },
    });
    expect(revoke.status).toBe(204);
    expect(errorCode(await api('GET', `/api/sessions/validate?token=${links.client.token}`))).toBe(
      'token_revoked',
    );
    expect((await api('GET', `/api/sessions/validate?token=${links.expert.token}`)).status).toBe(
      200,
    );

    const fresh = await api('POST', `/api/sessions/${session.id}/tokens`, { headers: asKey() });
    expect(fresh.status).toBe(201);
    expect(errorCode(await api('GET', `/api/sessions/validate?token=${links.expert.token}`))).toBe(
      'token_revoked',
    );
    expect(
      (await api('GET', `/api/sessions/validate?token=${fresh.body.client.token}`)).status,
    ).toBe(200);

    server.clock.advance(25 * 3_600_000);
    expect(
      errorCode(await api('GET', `/api/sessions/validate?token=${fresh.body.client.token}`)),
    ).toBe('token_expired');
    const join = await api('POST', `/api/sessions/${session.id}/join`, {
      headers: asToken(fresh.body.expert.token),
    });
    expect([join.status, errorCode(join)]).toEqual([401, 'token_expired']);
    server.clock.set('2026-03-02T12:00:00Z');
  });
});
