import type { MySession } from '@hourglass/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSignedIn, fund, operator } from '../../../test-support/factories.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import type { HourglassClient } from '../../../sdk/src/client.ts';
import { cancelSession, createSession } from '../../src/sessions/service.ts';

/** B4: lists of one's own sessions, by cursor and filters; and a signed-in participant's own join link. */
describeOnDatabases('my sessions', (target) => {
  let server: TestServer;
  let client: Awaited<ReturnType<typeof buildSignedIn>>;
  let expert: Awaited<ReturnType<typeof buildSignedIn>>;
  const ids: string[] = [];
  /** One's own sessions, asked with the query string a page would build. */
  const list = (api: HourglassClient, query = '') =>
    api.call('mySessions', {
      query: Object.fromEntries(new URLSearchParams(query.replace(/^\?/, ''))) as never,
    });

  beforeAll(async () => {
    server = await startServer(target);
    client = await buildSignedIn(server, 'client');
    expert = await buildSignedIn(server, 'expert');
    await fund(server.deps, client.user.id, 100_000);
    // Five scheduled sessions a day apart, the third cancelled; and one of another client.
    for (let i = 0; i < 5; i++) {
      const s = await createSession(server.deps, operator, {
        kind: 'scheduled',
        type: 'chat',
        clientId: client.user.id,
        expertId: expert.user.id,
        scheduledAt: new Date(Date.parse('2026-03-03T10:00:00Z') + i * 86_400_000).toISOString(),
        durationMinutes: 30,
      });
      ids.push(s.session.id);
    }
    await cancelSession(server.deps, operator, ids[2]!);
    const other = await buildSignedIn(server, 'client');
    await fund(server.deps, other.user.id, 10_000);
    await createSession(server.deps, operator, {
      kind: 'on_demand',
      type: 'chat',
      clientId: other.user.id,
      expertId: expert.user.id,
    });
  });
  afterAll(() => server?.close());

  it("a client's bookings and an expert's sessions, newest first, page by page", async () => {
    const first = await list(client.api, '?limit=2');
    expect(first.items.map((s) => s.id)).toEqual([ids[4], ids[3]]);
    const second = await list(client.api, `?limit=2&cursor=${first.nextCursor}`);
    const third = await list(client.api, `?limit=2&cursor=${second.nextCursor}`);
    expect([...second.items, ...third.items].map((s) => s.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(third.nextCursor).toBeNull();
    // The expert also sees the other client's session; the client does not.
    expect((await list(expert.api, '?limit=100')).items).toHaveLength(6);
  });

  it('filters by state and by time', async () => {
    expect((await list(client.api, '?state=cancelled')).items.map((s) => s.id)).toEqual([ids[2]]);
    expect((await list(client.api, '?state=booked,cancelled')).items).toHaveLength(5);
    const window = await list(client.api, '?from=2026-03-04T00:00:00Z&to=2026-03-06T00:00:00Z');
    expect(window.items.map((s) => s.scheduledAt)).toEqual([
      '2026-03-05T10:00:00.000Z',
      '2026-03-04T10:00:00.000Z',
    ]);
    expect((await refusal(list(client.api, '?state=sleeping'))).code).toBe('validation_failed');
    expect((await refusal(list(client.api, '?cursor=nope'))).code).toBe('validation_failed');
  });

  it('each row names the other side and says when it can be joined; a request carries its expiry', async () => {
    // The server's clock is 2026-03-02T12:00Z: one session two minutes from now (its window, 5 min before, is open).
    const soon = await createSession(server.deps, operator, {
      kind: 'scheduled',
      type: 'chat',
      clientId: client.user.id,
      expertId: expert.user.id,
      scheduledAt: '2026-03-02T12:02:00.000Z',
      durationMinutes: 30,
    });
    try {
      const mine: MySession[] = (await list(client.api, '?limit=100')).items;
      const row = (id: string) => mine.find((s) => s.id === id)!;
      expect(row(soon.session.id)).toMatchObject({
        counterpart: { role: 'expert', userId: expert.user.id, name: expert.user.name },
        startWindow: { opensAt: '2026-03-02T11:57:00.000Z', closesAt: '2026-03-02T12:17:00.000Z' },
        canJoinNow: true,
        requestExpiresAt: null,
      });
      expect(row(ids[0]!)).toMatchObject({
        canJoinNow: false,
        startWindow: { opensAt: '2026-03-03T09:55:00.000Z' },
      });
      const asker = await buildSignedIn(server, 'client');
      await fund(server.deps, asker.user.id, 10_000);
      await expert.api.call('updateMyExpertProfile', { body: { presence: 'online' } });
      const asked = await asker.api.call('requestSession', {
        body: { expertId: expert.user.id, type: 'chat' },
      });
      const theirs = (await list(expert.api, '?state=requested')).items;
      expect(theirs).toHaveLength(1);
      expect(theirs[0]!.counterpart.role).toBe('client');
      expect(theirs[0]!.requestExpiresAt).toBe(asked.expiresAt);
      expect(theirs[0]!.startWindow).toBeNull();
    } finally {
      await cancelSession(server.deps, operator, soon.session.id);
    }
  });

  it('a participant signed in gets a fresh join link for themself; the previous one stops working', async () => {
    const link = () => expert.api.call('myJoinLink', { params: { id: ids[0]! }, body: {} });
    const first = await link();
    expect(first).toMatchObject({ role: 'expert' });
    const check = (token: string) =>
      clientFor(server.url).call('validateToken', { query: { token } });
    expect((await check(first.token)).participant).toMatchObject({
      role: 'expert',
      userId: expert.user.id,
    });
    const second = await link();
    expect((await refusal(check(first.token))).code).toBe('token_revoked');
    expect((await check(second.token)).participant.role).toBe('expert');
  });
});
