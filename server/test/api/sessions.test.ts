import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  buildApiKey,
  buildClient,
  buildExpert,
  buildSession,
} from '../../../test-support/factories.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';

describeOnDatabases('sessions API', (target) => {
  let server: TestServer;
  let key: string;
  const asKey = () => clientFor(server.url, { apiKey: key });
  const asToken = (joinToken: string) => clientFor(server.url, { joinToken });
  const validate = (token: string) =>
    clientFor(server.url).call('validateToken', { query: { token } });
  const join = (id: string, token: string) =>
    asToken(token).call('joinSession', { params: { id }, body: {} });
  const end = (id: string, token: string, body = {}) =>
    asToken(token).call('endSession', { params: { id }, body });

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
    const { session, links } = await asKey().call('createSession', {
      body: { kind: 'on_demand', type: 'video', clientId: client.id, expertId: expert.id },
    });
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
    const voice = await refusal(
      asKey().call('createSession', {
        body: { kind: 'on_demand', type: 'voice', clientId: client.id, expertId: expert.id },
      }),
    );
    expect([voice.status, voice.code]).toEqual([400, 'validation_failed']);
    const swapped = await refusal(
      asKey().call('createSession', {
        body: { kind: 'on_demand', type: 'chat', clientId: expert.id, expertId: client.id },
      }),
    );
    expect([swapped.status, swapped.code]).toEqual([400, 'validation_failed']);
  });

  it('validate tells the holder who they are, who the other side is, and whether they can join', async () => {
    const { links, client, expert, session } = await buildSession(server.deps, { type: 'chat' });
    expect(await validate(links.expert.token)).toMatchObject({
      session: { id: session.id, state: 'accepted' },
      participant: { role: 'expert', userId: expert.id, name: expert.name },
      counterpart: { role: 'client', userId: client.id, name: client.name },
      canJoinNow: true,
      startWindow: null,
    });
    expect((await refusal(validate(`hgj_${'x'.repeat(43)}`))).code).toBe('token_invalid');
    expect((await refusal(validate('nonsense'))).code).toBe('token_invalid');
  });

  it('D2: joins record attendance; both joined → live with started_at; the audit trail has every step', async () => {
    const { links, session } = await buildSession(server.deps, { type: 'voice' });
    const c = await join(session.id, links.client.token);
    expect(c).toMatchObject({
      state: 'accepted',
      clientJoinedAt: '2026-03-02T12:00:00.000Z',
      expertJoinedAt: null,
      startedAt: null,
    });
    server.clock.advance(30_000);
    const e = await join(session.id, links.expert.token);
    expect(e).toMatchObject({
      state: 'live',
      startedAt: '2026-03-02T12:00:30.000Z',
      serverNow: '2026-03-02T12:00:30.000Z',
    });
    // A rejoin keeps the first attendance time.
    server.clock.advance(5_000);
    const again = await join(session.id, links.client.token);
    expect(again).toMatchObject({ state: 'live', clientJoinedAt: '2026-03-02T12:00:00.000Z' });
    const { items } = await asToken(links.client.token).call('sessionEvents', {
      params: { id: session.id },
    });
    expect(items.map((i) => i.kind)).toEqual([
      'created',
      'client_joined',
      'expert_joined',
      'both_joined',
      'started',
      'charged',
      'client_joined',
    ]);
    expect(items[1]).toMatchObject({ actorRole: 'client', data: { first: true } });
    expect(items[5]).toMatchObject({ actorRole: 'system', data: { minute: 1, amount: 200 } });
    expect(items[6]).toMatchObject({ data: { first: false } });
  });

  it('D6: ending twice returns the same final record and writes one end event', async () => {
    const { links, session } = await buildSession(server.deps);
    await join(session.id, links.client.token);
    await join(session.id, links.expert.token);
    server.clock.advance(600_000);
    const first = await end(session.id, links.client.token, { notes: 'Discussed the chart.' });
    expect(first).toMatchObject({
      state: 'ended',
      endReason: 'ended_by_client',
      notes: 'Discussed the chart.',
    });
    server.clock.advance(1_000);
    const second = await end(session.id, links.expert.token);
    const { serverNow: _a, ...a } = first;
    const { serverNow: _b, ...b } = second;
    expect(b).toEqual(a);
    const ends = await server.deps.db
      .selectFrom('session_events')
      .select('kind')
      .where('session_id', '=', session.id)
      .where('kind', '=', 'ended')
      .execute();
    expect(ends).toHaveLength(1);
    const late = await refusal(join(session.id, links.client.token));
    expect([late.status, late.code]).toEqual([409, 'session_ended']);
  });

  it('ending a session that never went live is refused and changes nothing', async () => {
    const { links, session } = await buildSession(server.deps);
    const r = await refusal(end(session.id, links.client.token));
    expect([r.status, r.code]).toEqual([409, 'invalid_transition']);
    const s = await asKey().call('getSession', { params: { id: session.id } });
    expect(s.state).toBe('accepted');
  });

  it('two participants ending at once: one end, one event, same result for both', async () => {
    const { links, session } = await buildSession(server.deps);
    await join(session.id, links.client.token);
    await join(session.id, links.expert.token);
    const [a, b] = await Promise.all([
      end(session.id, links.client.token),
      end(session.id, links.expert.token),
    ]);
    expect(a.state).toBe('ended');
    expect(a.endReason).toBe(b.endReason);
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
    await Promise.all([join(session.id, links.client.token), join(session.id, links.expert.token)]);
    const s = await asKey().call('getSession', { params: { id: session.id } });
    expect(s.state).toBe('live');
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
    const early = await refusal(join(session.id, links.client.token));
    expect([early.status, early.code]).toEqual([409, 'outside_start_window']);
    expect(early.details).toEqual({
      opensAt: '2026-03-02T12:55:00.000Z',
      closesAt: '2026-03-02T13:15:00.000Z',
    });
    server.clock.set('2026-03-02T12:56:00Z');
    expect((await join(session.id, links.client.token)).state).toBe('open');
    server.clock.set('2026-03-02T13:01:00Z');
    expect(await join(session.id, links.expert.token)).toMatchObject({
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
    expect((await refusal(join(session.id, links.expert.token))).code).toBe('outside_start_window');
    expect((await validate(links.expert.token)).canJoinNow).toBe(false);
    server.clock.set('2026-03-02T12:00:00Z');
  });

  it('cancel: an operator cancels a session not yet live; cancelling again is harmless; the links then cannot join', async () => {
    const { links, session } = await buildSession(server.deps);
    const cancel = () => asKey().call('cancelSession', { params: { id: session.id }, body: {} });
    expect((await cancel()).state).toBe('cancelled');
    expect((await cancel()).state).toBe('cancelled');
    expect((await refusal(join(session.id, links.client.token))).code).toBe('invalid_transition');
  });

  it('A3: revoked, reissued and expired tokens', async () => {
    const { links, session } = await buildSession(server.deps);
    const revoked = await asKey().call('revokeToken', {
      params: { id: session.id },
      body: { role: 'client' },
    });
    expect(revoked).toBeNull();
    expect((await refusal(validate(links.client.token))).code).toBe('token_revoked');
    expect((await validate(links.expert.token)).participant.role).toBe('expert');

    const fresh = await asKey().call('reissueTokens', { params: { id: session.id }, body: {} });
    expect((await refusal(validate(links.expert.token))).code).toBe('token_revoked');
    expect((await validate(fresh.client.token)).participant.role).toBe('client');

    server.clock.advance(25 * 3_600_000);
    expect((await refusal(validate(fresh.client.token))).code).toBe('token_expired');
    const late = await refusal(join(session.id, fresh.expert.token));
    expect([late.status, late.code]).toEqual([401, 'token_expired']);
    server.clock.set('2026-03-02T12:00:00Z');
  });
});
