import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildLiveSession, buildSession } from '../../../test-support/factories.ts';
import {
  collect,
  connectRoom,
  nextEvent,
  type RoomClient,
} from '../../../test-support/realtime.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/**
 * D8 with the injected clock: a participant's transport is cut, time moves, the sweeps run,
 * and billing goes on, pauses or ends as docs/PROTOCOL.md "Presence" says (grace 15 s, rejoin
 * window 120 s, the defaults).
 */
describeOnDatabases('presence and the billing pause', (target) => {
  let server: TestServer;
  const sockets: RoomClient[] = [];
  const at = (seconds: number) => server.clock.set(new Date(T0 + seconds * 1000));
  const sweepAt = async (seconds: number) => {
    at(seconds);
    await runSweeps(server.deps);
  };
  const session = (id: string) =>
    server.deps.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const charges = async (id: string) =>
    (
      await server.deps.db
        .selectFrom('ledger_transfers')
        .select(['id', 'created_at'])
        .where('session_id', '=', id)
        .where('kind', '=', 'charge')
        .orderBy('created_at')
        .execute()
    ).map((t) => t.created_at.toISOString());
  const connect = async (token: string) => {
    const r = await connectRoom(server.url, token);
    sockets.push(r.socket);
    return r;
  };
  /** The transport goes away without a goodbye (the server sees the connection close). */
  const cut = async (socket: RoomClient, seconds: number, watcher: RoomClient) => {
    at(seconds);
    const away = nextEvent(watcher, 'presence', (p) => p.status === 'away');
    socket.io.engine.close();
    return away;
  };

  beforeAll(async () => {
    server = await startServer(target);
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    at(0);
    expect(await ledgerViolations(server.deps.db, server.deps.config.SPLIT_EXPERT_PERCENT)).toEqual(
      [],
    );
  });
  afterAll(() => server?.close());

  it('on demand: cut for 5 s (no pause), 30 s (paused after the grace, resumed), 150 s (ended, participant_lost)', async () => {
    at(0);
    const s = await buildSession(server.deps, { credit: 10_000 });
    const client = await connect(s.links.client.token);
    const expert = await connect(s.links.expert.token);
    const paused = collect(expert.socket, 'session:paused');

    // 5 s: back inside the grace — the clock never stopped.
    expect(await cut(client.socket, 10, expert.socket)).toEqual({
      role: 'client',
      status: 'away',
      since: iso(10),
    });
    await sweepAt(15);
    const present = nextEvent(expert.socket, 'presence', (p) => p.status === 'present');
    const back = await connect(s.links.client.token);
    await present;
    expect(back.state.timer).toMatchObject({ pausedAt: null, paidUntil: iso(60) });
    await sweepAt(60);
    expect(await charges(s.session.id)).toEqual([iso(0), iso(60)]);
    expect(paused).toEqual([]);

    // 30 s: the clock stops 15 s after the cut; at return, the paid time moves on by the pause.
    await cut(back.socket, 70, expert.socket);
    const pause = nextEvent(expert.socket, 'session:paused');
    await sweepAt(100);
    expect(await pause).toEqual({ pausedAt: iso(85), serverNow: iso(100) });
    expect(paused).toHaveLength(1);
    await sweepAt(125); // minute 3 would have been due at 120
    expect(await charges(s.session.id)).toEqual([iso(0), iso(60)]);
    const extended = nextEvent(expert.socket, 'session:extended');
    const again = await connect(s.links.client.token);
    // Paused from 85 to 125: minute 2's remaining 35 s are kept, so minute 3 is due at 160.
    expect(await extended).toEqual({ endsAt: null, paidUntil: iso(160), serverNow: iso(125) });
    expect(again.state.timer).toMatchObject({ pausedAt: null, paidUntil: iso(160) });
    await sweepAt(159);
    expect(await charges(s.session.id)).toHaveLength(2);
    await sweepAt(160);
    expect(await charges(s.session.id)).toEqual([iso(0), iso(60), iso(160)]);

    // 150 s: paused at 15 s, ended at 120 s; nothing charged after the pause.
    await cut(again.socket, 170, expert.socket);
    const ended = nextEvent(expert.socket, 'session:ended');
    const pausedAgain = nextEvent(expert.socket, 'session:paused');
    await sweepAt(320);
    expect(await pausedAgain).toEqual({ pausedAt: iso(185), serverNow: iso(320) });
    expect(await ended).toEqual({ reason: 'participant_lost', endedAt: iso(290) });
    const row = await session(s.session.id);
    expect(row).toMatchObject({
      state: 'ended',
      end_reason: 'participant_lost',
      paused_at: new Date(T0 + 185_000),
      paused_ms: 40_000,
      billed_seconds: 180,
    });
    expect(await charges(s.session.id)).toEqual([iso(0), iso(60), iso(160)]);
  });

  it('scheduled: the deadline moves on by the pause and the deadline sweep waits for it', async () => {
    at(0);
    const s = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0),
      durationMinutes: 15,
    });
    const client = await connect(s.links.client.token);
    const expert = await connect(s.links.expert.token);
    expect(expert.state.timer.endsAt).toBe(iso(900));

    await cut(expert.socket, 600, client.socket);
    await sweepAt(630);
    expect((await session(s.session.id)).paused_at).toEqual(new Date(T0 + 615_000));
    const extended = nextEvent(client.socket, 'session:extended');
    at(660);
    const back = await connect(s.links.expert.token);
    // Paused 615 → 660: 45 s more.
    expect(await extended).toEqual({ endsAt: iso(945), paidUntil: null, serverNow: iso(660) });
    expect(back.state.timer.endsAt).toBe(iso(945));
    await sweepAt(944);
    expect((await session(s.session.id)).state).toBe('live');
    const ended = nextEvent(client.socket, 'session:ended');
    await sweepAt(945);
    expect(await ended).toEqual({ reason: 'time_up', endedAt: iso(945) });
  });

  it('a scheduled session whose deadline comes inside the grace ends at the deadline, unpaused', async () => {
    at(0);
    const s = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0),
      durationMinutes: 15,
    });
    const client = await connect(s.links.client.token);
    await connect(s.links.expert.token);
    await cut(client.socket, 890, sockets[1]!);
    await sweepAt(1000);
    expect(await session(s.session.id)).toMatchObject({
      state: 'ended',
      end_reason: 'time_up',
      ended_at: new Date(T0 + 900_000),
      paused_at: null,
    });
  });

  it('both away: the clock stays paused until both are back, from the first one to leave', async () => {
    at(0);
    const s = await buildSession(server.deps, { credit: 10_000 });
    const client = await connect(s.links.client.token);
    const expert = await connect(s.links.expert.token);
    await cut(client.socket, 10, expert.socket);
    at(20);
    expert.socket.io.engine.close();
    await vi.waitFor(async () =>
      expect((await session(s.session.id)).expert_away_since).toEqual(new Date(T0 + 20_000)),
    );
    await sweepAt(30);
    expect((await session(s.session.id)).paused_at).toEqual(new Date(T0 + 25_000));
    at(40);
    await connect(s.links.client.token);
    expect((await session(s.session.id)).paused_at).toEqual(new Date(T0 + 25_000));
    at(50);
    await connect(s.links.expert.token);
    expect(await session(s.session.id)).toMatchObject({
      paused_at: null,
      paused_ms: 25_000,
      paid_until: new Date(T0 + 85_000),
    });
  });

  it('a node whose heartbeat stopped: its sockets count as dropped when the sweep declares it dead', async () => {
    at(0);
    const s = await buildSession(server.deps, { credit: 10_000 });
    const expert = await connect(s.links.expert.token);
    // The client's socket sits on another node, which then dies without a word.
    const db = server.deps.db;
    await db.insertInto('realtime_nodes').values({ id: 'ghost', seen_at: new Date() }).execute();
    await db
      .insertInto('realtime_connections')
      .values({
        socket_id: 'ghost-1',
        node_id: 'ghost',
        session_id: s.session.id,
        role: 'client',
        connected_at: new Date(T0),
      })
      .execute();
    await db
      .updateTable('realtime_nodes')
      .set({ seen_at: new Date(Date.now() - 3_600_000) })
      .where('id', '=', 'ghost')
      .execute();
    const away = nextEvent(expert.socket, 'presence', (p) => p.role === 'client');
    await sweepAt(5);
    expect(await away).toEqual({ role: 'client', status: 'away', since: iso(5) });
    expect(
      await db
        .selectFrom('realtime_nodes')
        .select('id')
        .where('id', '=', 'ghost')
        .executeTakeFirst(),
    ).toBeUndefined();
    // This node is alive: its own sockets are untouched.
    expect(
      await db
        .selectFrom('realtime_connections')
        .select('socket_id')
        .where('socket_id', '=', expert.socket.id!)
        .executeTakeFirst(),
    ).toBeDefined();
  });

  it('a participant who only joined over HTTP (an API integration) has no presence and is never away', async () => {
    at(0);
    const s = await buildLiveSession(server.deps, { credit: 10_000 });
    const expert = await connect(s.links.expert.token);
    expect(expert.state.participants[0]).toEqual({ role: 'client', status: 'away', since: null });
    await sweepAt(300);
    expect(await session(s.session.id)).toMatchObject({
      state: 'live',
      paused_at: null,
      billed_seconds: 360,
    });
  });
});
