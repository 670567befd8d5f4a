import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSession } from '../../../test-support/factories.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';

const SECRET = 'a-turn-secret-of-some-length';

describeOnDatabases('ICE servers', (target) => {
  let server: TestServer;
  const iceFor = (id: string, joinToken: string) =>
    clientFor(server.url, { joinToken }).call('iceServers', { params: { id } });
  beforeAll(async () => {
    server = await startServer(target, {
      STUN_URLS: 'stun:stun.example.test:3478',
      TURN_URLS: 'turn:turn.example.test:3478?transport=udp,turns:turn.example.test:5349',
      TURN_SECRET: SECRET,
      TURN_TTL_S: '600',
    });
  });
  afterAll(() => server?.close());

  it("gives a voice participant STUN and a TURN credential in coturn's shared-secret scheme", async () => {
    const s = await buildSession(server.deps, { type: 'voice' });
    const r = await iceFor(s.session.id, s.links.expert.token);
    const now = (await server.deps.clock.now(server.deps.db)).getTime();
    const expiry = Math.floor((now + 600_000) / 1000);
    expect(r).toEqual({
      iceServers: [
        { urls: ['stun:stun.example.test:3478'] },
        {
          urls: ['turn:turn.example.test:3478?transport=udp', 'turns:turn.example.test:5349'],
          username: `${expiry}:${s.expert.id}`,
          // What coturn computes from its static-auth-secret for this username.
          credential: createHmac('sha1', SECRET)
            .update(`${expiry}:${s.expert.id}`)
            .digest('base64'),
        },
      ],
      expiresAt: new Date(now + 600_000).toISOString(),
    });
  });

  it('refuses a chat session and the other session’s participant', async () => {
    const chat = await buildSession(server.deps, { type: 'chat' });
    const r = await refusal(iceFor(chat.session.id, chat.links.client.token));
    expect([r.status, r.code]).toEqual([403, 'not_allowed_for_type']);
    const video = await buildSession(server.deps, { type: 'video' });
    const other = await refusal(iceFor(video.session.id, chat.links.client.token));
    expect([other.status, other.code]).toEqual([403, 'forbidden']);
  });
});
