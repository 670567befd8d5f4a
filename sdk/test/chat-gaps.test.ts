import type { ChatMessage } from '@hourglass/protocol';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { describeOnDatabases } from '../../test-support/databases.ts';
import { buildSession } from '../../test-support/factories.ts';
import { connectRoom, nextEvent, type RoomClient } from '../../test-support/realtime.ts';
import { startServer, type TestServer } from '../../test-support/server.ts';
import { dropNode } from '../../server/src/realtime/presence.ts';
import { SessionRoom } from '../src/room.ts';

/**
 * D3 across a node's death: a message can be committed by a node that dies before publishing it
 * (server/test/realtime/node-death-chat.test.ts kills a real one at that instant). Here the
 * dead node's commit is made directly in the database — stored, never published — and the
 * SDK must notice both ways it can be missing: a gap (a later message skips its seq) and a
 * silent tail (nothing comes after it; the server's `chat:head` when the node is declared
 * gone). Every participant ends with every message exactly once, in order.
 */
describeOnDatabases('chat gaps and silent tails', (target) => {
  let server: TestServer;
  const rooms: SessionRoom[] = [];
  const sockets: RoomClient[] = [];
  const openRoom = async (token: string) => {
    const room = new SessionRoom({
      baseUrl: server.url,
      token,
      reconnectDelayMs: 50,
      reconnectDelayMaxMs: 200,
    });
    rooms.push(room);
    await room.connect();
    return room;
  };
  /** What a node that then died stored: committed through the same function, published to no one. */
  const storedByDeadNode = async (
    sessionId: string,
    role: 'client' | 'expert',
    clientMsgId: string,
    text: string,
  ) => {
    const now = await server.deps.clock.now(server.deps.db);
    await sql`select * from hg_chat_store(${now}, ${[sessionId]}::uuid[], ${[role]}::text[], ${[clientMsgId]}::text[], ${[text]}::text[], ${[server.deps.ids.uuid()]}::uuid[])`.execute(
      server.deps.db,
    );
  };
  /** A node holding a socket of the session dies and is declared gone (what the presence sweep does). */
  const ghostNodeDies = async (sessionId: string) => {
    const db = server.deps.db;
    const id = `ghost-${server.deps.ids.uuid().slice(-8)}`;
    await db.insertInto('realtime_nodes').values({ id, seen_at: new Date() }).execute();
    await db
      .insertInto('realtime_connections')
      .values({
        socket_id: `${id}-1`,
        node_id: id,
        session_id: sessionId,
        role: 'client',
        connected_at: new Date(),
      })
      .execute();
    await dropNode(server.deps, id);
  };
  const texts = (room: SessionRoom) => room.messages().map((m) => [m.seq, m.text]);

  beforeAll(async () => {
    server = await startServer(target);
  });
  afterEach(() => {
    for (const r of rooms.splice(0)) r.close();
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(() => server?.close());

  it('a gap: a message stored but never published is fetched when a later one skips its seq', async () => {
    const s = await buildSession(server.deps, { type: 'chat' });
    const client = await openRoom(s.links.client.token);
    const expert = await openRoom(s.links.expert.token);
    await client.send('first');
    await storedByDeadNode(s.session.id, 'client', 'lost-1', 'stored as its node died');
    await client.send('after');
    await vi.waitFor(() =>
      expect(texts(expert)).toEqual([
        [1, 'first'],
        [2, 'stored as its node died'],
        [3, 'after'],
      ]),
    );
    // The sender's own room had the same gap, and filled it the same way.
    await vi.waitFor(() => expect(texts(client)).toEqual(texts(expert)));
  });

  it('a silent tail: the last message, with nothing after it, is fetched when the node is declared gone', async () => {
    const s = await buildSession(server.deps, { type: 'chat' });
    const expert = await openRoom(s.links.expert.token);
    const watcher = (await connectRoom(server.url, s.links.client.token)).socket;
    sockets.push(watcher);
    await storedByDeadNode(s.session.id, 'client', 'lost-2', 'the last word');
    expect(texts(expert)).toEqual([]);
    const head = nextEvent(watcher, 'chat:head');
    await ghostNodeDies(s.session.id);
    expect(await head).toEqual({ seq: 1 });
    await vi.waitFor(() => expect(texts(expert)).toEqual([[1, 'the last word']]));
  });

  it('a retry of a message its node stored and died with reaches the other side, not only the one retrying', async () => {
    const s = await buildSession(server.deps, { type: 'chat' });
    const client = (await connectRoom(server.url, s.links.client.token)).socket;
    const expert = (await connectRoom(server.url, s.links.expert.token)).socket;
    sockets.push(client, expert);
    await storedByDeadNode(s.session.id, 'client', 'c-retried', 'sent twice, stored once');
    const toExpert = nextEvent(expert, 'chat:messages');
    const toClient = nextEvent(client, 'chat:messages');
    client.emit('chat:send', { clientMsgId: 'c-retried', text: 'sent twice, stored once' });
    const expected: Partial<ChatMessage>[] = [
      { seq: 1, clientMsgId: 'c-retried', text: 'sent twice, stored once' },
    ];
    expect(await toExpert).toMatchObject(expected);
    expect(await toClient).toMatchObject(expected);
    expect(
      await server.deps.db
        .selectFrom('chat_messages')
        .select('seq')
        .where('session_id', '=', s.session.id)
        .execute(),
    ).toHaveLength(1);
  });

  it('a reconnect whose picture (the last 200) starts above what we hold: the rest is fetched, no gap stays', async () => {
    const s = await buildSession(server.deps, { type: 'chat' });
    const expert = await openRoom(s.links.expert.token);
    // 251 messages the expert never heard of (stored, not published).
    for (let i = 1; i <= 251; i++)
      await storedByDeadNode(s.session.id, 'client', `c-${i}`, `m${i}`);
    expect(texts(expert)).toEqual([]);
    server.io!.in(`session:${s.session.id}:expert`).disconnectSockets(true);
    await vi.waitFor(
      () =>
        expect(expert.messages().map((m) => m.seq)).toEqual(
          Array.from({ length: 251 }, (_, i) => i + 1),
        ),
      { timeout: 10_000 },
    );
  });
});
