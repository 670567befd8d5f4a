import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type DatabaseTarget } from '../../../test-support/databases.ts';
import { buildSession } from '../../../test-support/factories.ts';
import {
  connectRoom,
  nextEvent,
  refusalOf,
  type RoomClient,
} from '../../../test-support/realtime.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { endSession } from '../../src/sessions/service.ts';
import { billingTick } from '../../src/sweeps/billing.ts';
import { deadlineTick } from '../../src/sweeps/schedule.ts';
import { runSweeps, startSweeper } from '../../src/sweeps/sweeper.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

/**
 * D8's rule — the clock stops at left + grace until both are back — must hold whatever the
 * sweeps' timing (docs/LEDGER.md "The paused clock"). Each case ends or acts on an absence at
 * a moment no sweep has reached yet: a return at grace + δ, for δ shorter than a sweep
 * interval; a return after a minute boundary; another node's billing or deadline sweep, or an
 * end, coming before the absence sweep. With the sweeper loop running (every 20 ms of real
 * time, at whatever the moved clock says) the results must be the very same.
 */
for (const target of databaseTargets()) {
  for (const sweeper of [false, true]) {
    describe(`an absence settled whenever the sweep comes [${target.name}, sweeper ${sweeper ? 'running' : 'stopped'}]`, () =>
      suite(target, sweeper));
  }
}

function suite(target: DatabaseTarget, sweeperRunning: boolean) {
  let server: TestServer;
  let sweeper: { stop(): Promise<void> } | undefined;
  const sockets: RoomClient[] = [];
  const set = (seconds: number) => server.clock.set(at(seconds));
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
        .select('created_at')
        .where('session_id', '=', id)
        .where('kind', '=', 'charge')
        .orderBy('created_at')
        .execute()
    ).map((t) => (t.created_at.getTime() - T0) / 1000);
  const connect = async (token: string) => {
    const r = await connectRoom(server.url, token);
    sockets.push(r.socket);
    return r;
  };
  /** Both in the room of a fresh on-demand session (minute 1 charged at 0). */
  const liveRoom = async (o: Parameters<typeof buildSession>[1] = {}) => {
    set(0);
    const s = await buildSession(server.deps, { credit: 10_000, ...o });
    const client = await connect(s.links.client.token);
    const expert = await connect(s.links.expert.token);
    return { s, client, expert };
  };
  /** The client's transport goes at `seconds`; resolves once the server has them away. */
  const cut = async (socket: RoomClient, watcher: RoomClient, seconds: number) => {
    set(seconds);
    const away = nextEvent(watcher, 'presence', (p) => p.status === 'away');
    socket.io.engine.close();
    await away;
  };

  beforeAll(async () => {
    server = await startServer(target, sweeperRunning ? { SWEEP_INTERVAL_MS: '50' } : {});
    if (sweeperRunning) sweeper = startSweeper(server.deps);
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    expect(await ledgerViolations(server.deps.db, server.deps.config.SPLIT_EXPERT_PERCENT)).toEqual(
      [],
    );
  });
  afterAll(async () => {
    await sweeper?.stop();
    await server?.close();
  });

  it.each([0.1, 0.4, 0.7, 0.95])(
    'a return at grace + %s s is paused from the grace on',
    async (delta) => {
      const { s, client, expert } = await liveRoom();
      await cut(client.socket, expert.socket, 10);
      const extended = nextEvent(expert.socket, 'session:extended');
      set(25 + delta);
      const back = await connect(s.links.client.token);
      // Paused at 25 (left + 15 s grace) until the return: minute 2 moves from 60 to 60 + δ.
      const paidUntil = at(60 + delta).toISOString();
      expect(await extended).toMatchObject({ paidUntil });
      expect(back.state.timer).toMatchObject({ pausedAt: null, paidUntil });
      expect(await session(s.session.id)).toMatchObject({
        state: 'live',
        paused_at: null,
        paused_ms: Math.round(delta * 1000),
        paid_until: at(60 + delta),
      });
      const events = await server.deps.db
        .selectFrom('session_events')
        .select(['kind', 'at'])
        .where('session_id', '=', s.session.id)
        .where('kind', 'in', ['paused', 'resumed'])
        .orderBy('seq')
        .execute();
      expect(events).toEqual([
        { kind: 'paused', at: at(25) },
        { kind: 'resumed', at: at(25 + delta) },
      ]);
    },
  );

  it('a return after a minute boundary that no sweep saw: the minute begun inside the absence is not charged', async () => {
    const { s, client, expert } = await liveRoom();
    await cut(client.socket, expert.socket, 10);
    // Minute 2 would begin at 60; the clock stopped at 25. Back at 100: paused 75 s.
    set(100);
    await connect(s.links.client.token);
    expect(await session(s.session.id)).toMatchObject({
      paused_ms: 75_000,
      paid_until: at(135),
      billed_seconds: 60,
    });
    set(134);
    await runSweeps(server.deps);
    expect(await charges(s.session.id)).toEqual([0]);
    // With the loop running, its pass may hold the row when this one comes: the charge is awaited.
    const charged = nextEvent(expert.socket, 'billing:charged');
    set(135);
    await runSweeps(server.deps);
    expect(await charged).toMatchObject({ minute: 2 });
    expect(await charges(s.session.id)).toEqual([0, 135]);
  });

  it('a return after the rejoin window that no sweep saw is refused: the session ended at left + window', async () => {
    const { s, client, expert } = await liveRoom();
    await cut(client.socket, expert.socket, 10);
    // The loop, when it runs, may get there first: the end is awaited, whoever makes it.
    const ended = nextEvent(expert.socket, 'session:ended');
    set(200);
    expect((await refusalOf(server.url, { token: s.links.client.token })).code).toBe(
      'session_ended',
    );
    // The refused handshake changed nothing; the next sweep ends it where the rule says.
    await runSweeps(server.deps);
    expect(await ended).toMatchObject({ reason: 'participant_lost' });
    expect(await session(s.session.id)).toMatchObject({
      state: 'ended',
      end_reason: 'participant_lost',
      ended_at: at(130),
      paused_at: at(25),
      billed_seconds: 60,
    });
    expect(await charges(s.session.id)).toEqual([0]);
  });

  it("another node's billing sweep before the absence sweep does not charge the minute begun inside the absence", async () => {
    const { s, client, expert } = await liveRoom();
    await cut(client.socket, expert.socket, 40);
    // With the loop running, its own pass may hold the row (SKIP LOCKED): the pause is awaited.
    const paused = nextEvent(expert.socket, 'session:paused');
    set(70); // minute 2 began at 60, after the pause at 55
    await billingTick(server.deps);
    expect(await paused).toMatchObject({ pausedAt: at(55).toISOString() });
    expect(await session(s.session.id)).toMatchObject({ paused_at: at(55), billed_seconds: 60 });
    expect(await charges(s.session.id)).toEqual([0]);
  });

  it('a minute begun before the pause is charged by the billing sweep all the same', async () => {
    const { s, client, expert } = await liveRoom();
    await cut(client.socket, expert.socket, 50);
    const paused = nextEvent(expert.socket, 'session:paused');
    set(70); // minute 2 began at 60, before the pause at 65
    await billingTick(server.deps);
    expect(await paused).toMatchObject({ pausedAt: at(65).toISOString() });
    expect(await session(s.session.id)).toMatchObject({ paused_at: at(65), billed_seconds: 120 });
    expect(await charges(s.session.id)).toEqual([0, 60]);
  });

  it('an end while the other side is away past the grace charges nothing begun after the pause', async () => {
    const { s, client, expert } = await liveRoom();
    await cut(client.socket, expert.socket, 30);
    set(130); // minutes 2 and 3 would have begun at 60 and 120; the clock stopped at 45
    await endSession(
      server.deps,
      { kind: 'participant', sessionId: s.session.id, userId: s.expert.id, role: 'expert' },
      s.session.id,
      undefined,
    );
    expect(await session(s.session.id)).toMatchObject({
      state: 'ended',
      end_reason: 'ended_by_expert',
      ended_at: at(130),
      paused_at: at(45),
      billed_seconds: 60,
    });
    expect(await charges(s.session.id)).toEqual([0]);
  });

  it("a scheduled session's deadline sweep before the absence sweep: paused, not ended", async () => {
    set(0);
    const s = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: at(0),
      durationMinutes: 15,
    });
    const client = await connect(s.links.client.token);
    const expert = await connect(s.links.expert.token);
    await cut(expert.socket, client.socket, 800);
    const paused = nextEvent(client.socket, 'session:paused');
    set(905); // the deadline (900) has passed, but the clock stopped at 815
    await deadlineTick(server.deps);
    expect(await paused).toMatchObject({ pausedAt: at(815).toISOString() });
    expect(await session(s.session.id)).toMatchObject({ state: 'live', paused_at: at(815) });
    set(910);
    await connect(s.links.expert.token);
    // Paused 815 → 910: the deadline moves from 900 to 995.
    expect(await session(s.session.id)).toMatchObject({
      state: 'live',
      paused_at: null,
      ends_at: at(995),
    });
  });
}
