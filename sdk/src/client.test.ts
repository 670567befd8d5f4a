import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteTarget } from '../../test-support/databases.ts';
import { buildApiKey } from '../../test-support/factories.ts';
import { startServer, type TestServer } from '../../test-support/server.ts';
import { createClient, HourglassError } from './index.ts';

describe('SDK client against the real server', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startServer(pgliteTarget);
    key = await buildApiKey(server.deps);
  });
  afterAll(() => server?.close());

  it('a host backend creates people and a session, and each participant joins with their link', async () => {
    const host = createClient({ baseUrl: server.url, apiKey: key });
    const client = await host.call('createUser', {
      body: { email: 'sdk-client@test.hourglass', name: 'C', role: 'client' },
    });
    const expert = await host.call('createUser', {
      body: {
        email: 'sdk-expert@test.hourglass',
        name: 'E',
        role: 'expert',
        expert: { rates: { voice: 250 } },
      },
    });
    await host.call('adminCredit', {
      params: { userId: client.id },
      body: { amount: 1000, reason: 'welcome' },
    });
    const { session, links } = await host.call('createSession', {
      body: { kind: 'on_demand', type: 'voice', clientId: client.id, expertId: expert.id },
    });
    expect(session.capabilities).toEqual({ chat: false, audio: true, video: false });

    const asClient = createClient({ baseUrl: server.url, joinToken: links.client.token });
    const asExpert = createClient({ baseUrl: server.url, joinToken: links.expert.token });
    const check = await asClient.call('validateToken', { query: { token: links.client.token } });
    expect(check.participant.role).toBe('client');
    await asClient.call('joinSession', { params: { id: session.id }, body: {} });
    const live = await asExpert.call('joinSession', { params: { id: session.id }, body: {} });
    expect(live.state).toBe('live');
    const ended = await asExpert.call('endSession', { params: { id: session.id }, body: {} });
    expect(ended.endReason).toBe('ended_by_expert');
    // Minute 1 (voice at 250) was charged when the session went live.
    expect((await host.call('getSession', { params: { id: session.id } })).state).toBe('ended');
    const events = await asClient.call('sessionEvents', { params: { id: session.id } });
    expect(events.items.map((e) => e.kind)).toContain('ended');
    const page = await createClient({ baseUrl: server.url }).call('listExperts', {
      query: { limit: 10 },
    });
    expect(page.items.some((e) => e.id === expert.id)).toBe(true);
  });

  it('errors arrive as HourglassError narrowed to a protocol code', async () => {
    const anon = createClient({ baseUrl: server.url });
    const err = await anon
      .call('validateToken', { query: { token: 'hgj_nope' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HourglassError);
    expect(err).toMatchObject({ code: 'token_invalid', status: 401 });
    const denied = await anon
      .call('createUser', { body: { email: 'x@test.hourglass', name: 'x', role: 'client' } })
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'unauthenticated', status: 401 });
  });
});
