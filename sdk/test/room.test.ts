import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pgliteTarget } from '../../test-support/databases.ts';
import { buildSession } from '../../test-support/factories.ts';
import { startServer, type TestServer } from '../../test-support/server.ts';
import { SessionRoom, type RoomEvents } from '../src/room.ts';

const T0 = new Date('2026-03-02T12:00:00Z');

/** The SDK's SessionRoom against the real server (Node's socket.io-client; the browser suites use the same class). */
describe('SessionRoom', () => {
  let server: TestServer;
  const rooms: SessionRoom[] = [];
  const openRoom = (token: string) => {
    const room = new SessionRoom({
      baseUrl: server.url,
      token,
      reconnectDelayMs: 50,
      reconnectDelayMaxMs: 200,
    });
    rooms.push(room);
    return room;
  };
  const next = <K extends keyof RoomEvents>(
    room: SessionRoom,
    event: K,
    match: (v: RoomEvents[K]) => boolean = () => true,
  ) =>
    new Promise<RoomEvents[K]>((resolve) => {
      const off = room.on(event, (v) => {
        if (match(v)) {
          off();
          resolve(v);
        }
      });
    });

  beforeAll(async () => {
    server = await startServer(pgliteTarget);
  });
  afterAll(async () => {
    for (const r of rooms) r.close();
    await server?.close();
  });

  it('prepare() opens the transport and joins nothing; connect() joins over that transport; close() ends it', async () => {
    const s = await buildSession(server.deps, { kind: 'scheduled', scheduledAt: T0 });
    const transports = () => server.io!.engine.clientsCount;
    const before = transports();
    const joinedAt = async () =>
      (
        await server.deps.db
          .selectFrom('sessions')
          .select('client_joined_at')
          .where('id', '=', s.session.id)
          .executeTakeFirstOrThrow()
      ).client_joined_at;

    const prepared = openRoom(s.links.client.token);
    prepared.prepare();
    await vi.waitFor(() => expect(transports()).toBe(before + 1));
    expect(await joinedAt()).toBeNull();
    expect(prepared.status).toBe('connecting');
    const state = await prepared.connect();
    expect(state.participants[0]).toMatchObject({ role: 'client', status: 'present' });
    expect(await joinedAt()).not.toBeNull();
    expect(transports()).toBe(before + 1);

    // Prepared and then left without joining: the transport closes with the room.
    const left = openRoom(s.links.expert.token);
    left.prepare();
    await vi.waitFor(() => expect(transports()).toBe(before + 2));
    left.close();
    await vi.waitFor(() => expect(transports()).toBe(before + 1));
  });

  it("keeps the server's clock: the offset, and the timer from the deadline", async () => {
    const s = await buildSession(server.deps, { kind: 'scheduled', scheduledAt: T0 });
    const client = openRoom(s.links.client.token);
    const expert = openRoom(s.links.expert.token);
    await client.connect();
    const started = next(client, 'timer');
    await expert.connect();
    await started;
    expect(Math.abs(client.serverNow() - T0.getTime())).toBeLessThan(1000);
    const t = client.timer();
    expect(t.elapsedMs).toBeLessThan(1000);
    expect(t.remainingMs).toBeGreaterThan(30 * 60_000 - 1000);
    expect(t.remainingMs).toBeLessThanOrEqual(30 * 60_000);
  });

  it('chat in the server order; after a dropped connection, resumed without gaps or duplicates', async () => {
    const s = await buildSession(server.deps, { kind: 'scheduled', scheduledAt: T0 });
    const client = openRoom(s.links.client.token);
    const expert = openRoom(s.links.expert.token);
    await Promise.all([client.connect(), expert.connect()]);
    for (const text of ['one', 'two']) await client.send(text);
    const texts = (r: SessionRoom) => r.messages().map((m) => `${m.seq}:${m.text}:${m.delivery}`);
    await expect.poll(() => texts(expert)).toEqual(['1:one:sent', '2:two:sent']);

    // The expert's connection drops (the transport closes, as a lost network does).
    const back = next(expert, 'connection', (c) => c === 'connected');
    const gone = next(expert, 'connection', (c) => c === 'reconnecting');
    (
      expert as unknown as { socket: { io: { engine: { close(): void } } } }
    ).socket.io.engine.close();
    await gone;
    for (const text of ['three', 'four', 'five']) await client.send(text);
    await back;
    await expect
      .poll(() => texts(expert))
      .toEqual(['1:one:sent', '2:two:sent', '3:three:sent', '4:four:sent', '5:five:sent']);
    expect(texts(client)).toEqual(texts(expert));
  });

  it('a message sent while the connection is down is delivered once, with its id, on reconnect', async () => {
    const s = await buildSession(server.deps, { kind: 'scheduled', scheduledAt: T0 });
    const client = openRoom(s.links.client.token);
    const expert = openRoom(s.links.expert.token);
    await Promise.all([client.connect(), expert.connect()]);
    const gone = next(client, 'connection', (c) => c === 'reconnecting');
    (
      client as unknown as { socket: { io: { engine: { close(): void } } } }
    ).socket.io.engine.close();
    await gone;
    const sent = client.send('sent while offline');
    expect(client.messages().map((m) => m.delivery)).toEqual(['sending']);
    expect(await sent).toMatchObject({ seq: 1, text: 'sent while offline', from: 'client' });
    await expect.poll(() => expert.messages().map((m) => m.text)).toEqual(['sent while offline']);
    expect(client.messages().map((m) => `${m.seq}:${m.delivery}`)).toEqual(['1:sent']);
  });

  it('a refused send rejects with its code and is no longer shown as sending', async () => {
    const s = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: T0,
      type: 'voice',
    });
    const client = openRoom(s.links.client.token);
    await client.connect();
    const refused = next(client, 'refused');
    await expect(client.send('a voice session has no chat')).rejects.toMatchObject({
      code: 'not_allowed_for_type',
    });
    expect(client.messages()).toEqual([]);
    expect(await refused).toMatchObject({
      code: 'not_allowed_for_type',
      clientMsgId: expect.any(String),
    });
  });

  it('a refused link rejects connect with its code and tells the view', async () => {
    const room = openRoom('hgj_not_a_real_token_at_all_000000000000');
    const failed = next(room, 'failed');
    await expect(room.connect()).rejects.toMatchObject({ code: 'token_invalid' });
    expect((await failed).code).toBe('token_invalid');
    expect(room.status).toBe('closed');
  });
});
