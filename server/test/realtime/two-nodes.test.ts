import { randomBytes } from 'node:crypto';
import type { ChatMessage } from '@hourglass/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { withStarts } from '../../../test-support/budgets.ts';
import { buildApiKey, buildSession, operator } from '../../../test-support/factories.ts';
import { clientFor } from '../../../test-support/clients.ts';
import { createDatabase, dropDatabase } from '../../../test-support/postgres-admin.ts';
import { startNode, type NodeProcess } from '../../../test-support/processes.ts';
import {
  collect,
  connectRoom,
  nextEvent,
  request,
  type RoomClient,
} from '../../../test-support/realtime.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { connectPostgres, type DatabaseHandle } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { acceleratedClock, databaseClock } from '../../src/platform/clock.ts';
import type { Deps } from '../../src/platform/context.ts';
import { randomIds } from '../../src/platform/ids.ts';
import { setDisabled } from '../../src/people/service.ts';
import { endSession } from '../../src/sessions/service.ts';

const baseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
// The session clock runs 30× (a minute every 2 s), so billing is seen to go on across the kill.
const SPEEDUP = 30;
const VIDEO_OFFER =
  'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n';

/**
 * Two server processes (`npm start`'s entry point) on one PostgreSQL server and one Redis: the
 * client on node A, the expert on node B. Announced as skipped without TEST_DATABASE_URL and
 * TEST_REDIS_URL (and a failure in CI: test-support/global-setup.ts).
 */
describe.skipIf(!baseUrl || !redisUrl)('two nodes, one PostgreSQL, one Redis', () => {
  const name = `${inject('hgRunId')}_nodes_${randomBytes(3).toString('hex')}`;
  let database: DatabaseHandle;
  let deps: Deps;
  let app: FastifyInstance | undefined;
  let a: NodeProcess;
  let b: NodeProcess;
  const sockets: RoomClient[] = [];
  const join = async (node: NodeProcess, token: string) => {
    const r = await connectRoom(node.url, token);
    sockets.push(r.socket);
    return r;
  };

  beforeAll(async () => {
    const url = await createDatabase(baseUrl!, name);
    database = connectPostgres(url, 5);
    await migrate(database.db);
    const env = {
      DATABASE_URL: url,
      REDIS_URL: redisUrl!,
      // Its own channels: another test run on the same Redis is another deployment.
      REDIS_PREFIX: name,
      CLOCK_SPEEDUP: String(SPEEDUP),
      CLOCK_EPOCH: new Date().toISOString(),
      SWEEP_INTERVAL_MS: '100',
      REALTIME_NODE_TTL_S: '3',
    };
    [a, b] = await Promise.all([startNode(env, 'node A'), startNode(env, 'node B')]);
    // This process makes the sessions: the same database, the same clock, no listening.
    const clock = acceleratedClock(databaseClock, new Date(env.CLOCK_EPOCH), SPEEDUP);
    const config = loadConfig({ ...env, ROLES: 'api', LOG_LEVEL: 'silent', DEMO_SEED: 'false' });
    ({ app, deps } = await buildApp({ config, database, clock, ids: randomIds }));
  }, withStarts(2));

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await app?.close();
    await database?.close();
    await dropDatabase(baseUrl!, name);
  });

  it('signaling, media state and session:ended cross nodes', async () => {
    const s = await buildSession(deps, { type: 'video', credit: 100_000 });
    const client = await join(a, s.links.client.token);
    const started = nextEvent(client.socket, 'session:started');
    const expert = await join(b, s.links.expert.token);
    await started;
    // Presence written on A is read on B.
    expect(expert.state.participants).toEqual([
      { role: 'client', status: 'present', since: null },
      { role: 'expert', status: 'present', since: null },
    ]);

    const offer = nextEvent(expert.socket, 'signal');
    expect(
      await request(client.socket, 'signal', { description: { type: 'offer', sdp: VIDEO_OFFER } }),
    ).toEqual({ ok: true, data: null });
    expect(await offer).toEqual({
      description: { type: 'offer', sdp: VIDEO_OFFER },
      from: 'client',
    });
    const answer = nextEvent(client.socket, 'signal');
    await request(expert.socket, 'signal', {
      candidate: {
        candidate: 'candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
      },
    });
    expect(await answer).toMatchObject({ from: 'expert', candidate: { sdpMid: '0' } });
    const media = nextEvent(expert.socket, 'media:state');
    client.socket.emit('media:state', { audio: true, video: false });
    expect(await media).toEqual({ role: 'client', audio: true, video: false });

    const ended = nextEvent(expert.socket, 'session:ended');
    expect(await request(client.socket, 'session:end', {})).toMatchObject({
      ok: true,
      data: { state: 'ended', endReason: 'ended_by_client' },
    });
    expect(await ended).toMatchObject({ reason: 'ended_by_client' });
  });

  it('an end decided by a sweeper (on either node) reaches the participants on both', async () => {
    // Two minutes of credit: at 30× the session ends insufficient_funds about 4 s after going live.
    const s = await buildSession(deps, { type: 'chat', credit: 200 });
    const client = await join(a, s.links.client.token);
    const expert = await join(b, s.links.expert.token);
    const heard = await Promise.all(
      [client, expert].map((p) => nextEvent(p.socket, 'session:ended', () => true, 15_000)),
    );
    for (const h of heard) expect(h.reason).toBe('insufficient_funds');
  }, 30_000);

  it('an event made by a node without the gateway (this process: the api role) reaches the rooms through Redis', async () => {
    const s = await buildSession(deps, { type: 'chat', credit: 100_000 });
    const client = await join(a, s.links.client.token);
    const expert = await join(b, s.links.expert.token);
    const heard = [client, expert].map((p) => nextEvent(p.socket, 'session:ended'));
    await endSession(deps, operator, s.session.id, undefined);
    for (const h of await Promise.all(heard)) expect(h.reason).toBe('ended_by_admin');
  });

  it('revocation, reissue, the end and disabling a user close open connections on both nodes within a second', async () => {
    const key = await buildApiKey(deps);
    const closed = (socket: RoomClient) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('still connected after 1 s')), 1000);
        socket.once('disconnect', (reason) => (clearTimeout(timer), resolve(reason)));
      });
    const pair = async () => {
      const s = await buildSession(deps, { type: 'chat', credit: 100_000 });
      return {
        s,
        client: (await join(a, s.links.client.token)).socket,
        expert: (await join(b, s.links.expert.token)).socket,
      };
    };

    // The client's link revoked through node B: the client's socket on A closes.
    let { s, client, expert } = await pair();
    let gone = closed(client);
    const host = (node: { url: string }) => clientFor(node.url, { apiKey: key });
    const revoked = await host(b).call('revokeToken', {
      params: { id: s.session.id },
      body: { role: 'client' },
    });
    expect(revoked).toBeNull();
    expect(await gone).toBe('io server disconnect');
    expect(expert.connected).toBe(true);

    // Both reissued through node A: the expert's socket on B closes too.
    gone = closed(expert);
    const fresh = await host(a).call('reissueTokens', { params: { id: s.session.id }, body: {} });
    expect(fresh.client.token).not.toBe(s.links.client.token);
    await gone;

    // Ended from A: both sides hear it, then both close.
    ({ s, client, expert } = await pair());
    const ends = [client, expert].map((x) =>
      Promise.all([nextEvent(x, 'session:ended'), closed(x)]),
    );
    await request(client, 'session:end', {});
    await Promise.all(ends);

    // The expert disabled by this process (no gateway: through the Redis emitter): the seat on B closes.
    ({ s, client, expert } = await pair());
    gone = closed(expert);
    expect((await setDisabled(deps, operator, s.expert.id, true)).disabledAt).not.toBeNull();
    await gone;
    expect(client.connected).toBe(true);
  });

  it('node A is killed mid-session: the client resumes on node B with no message lost or doubled, and billing goes on exactly once', async () => {
    const s = await buildSession(deps, { type: 'chat', credit: 100_000 });
    const client = await join(a, s.links.client.token);
    const expert = await join(b, s.links.expert.token);
    const seen = new Map<number, ChatMessage>();
    const onMessages = (ms: ChatMessage[]) => ms.forEach((m) => seen.set(m.seq, m));
    client.socket.on('chat:messages', onMessages);

    // Chat crosses nodes both ways.
    const toExpert = nextEvent(expert.socket, 'chat:messages');
    const first = await request<ChatMessage>(client.socket, 'chat:send', {
      clientMsgId: 'c-1',
      text: 'hello from A',
    });
    expect(first).toMatchObject({ ok: true, data: { seq: 1, from: 'client' } });
    if (first.ok) seen.set(1, first.data);
    expect(await toExpert).toMatchObject([{ seq: 1, text: 'hello from A' }]);
    const toClient = nextEvent(client.socket, 'chat:messages', (ms) => ms[0]!.from === 'expert');
    await request(expert.socket, 'chat:send', { clientMsgId: 'e-1', text: 'hello from B' });
    expect(await toClient).toMatchObject([{ seq: 2, from: 'expert' }]);

    // Minutes are charged by whichever node's sweeper gets there; the client on A hears them.
    const charged = collect(client.socket, 'billing:charged');
    await nextEvent(client.socket, 'billing:charged', (c) => c.minute >= 2, 10_000);

    // A message is in flight to A when A dies: its answer may never come.
    const dropped = new Promise((resolve) => client.socket.once('disconnect', resolve));
    client.socket.emit(
      'chat:send',
      { clientMsgId: 'c-2', text: 'sent as A died' },
      () => undefined,
    );
    await a.stop('SIGKILL');
    await dropped;
    const lastSeq = Math.max(...seen.keys());
    const lastMinute = Math.max(...charged.map((c) => c.minute));

    // While the client is away, the expert keeps writing.
    for (const id of ['e-2', 'e-3', 'e-4'])
      expect(
        await request(expert.socket, 'chat:send', { clientMsgId: id, text: id }),
      ).toMatchObject({ ok: true });

    // The client comes back on B: resume by seq, and retry the send whose answer it never had.
    const back = await join(b, s.links.client.token);
    const resumed = await request<{ messages: ChatMessage[]; more: boolean }>(
      back.socket,
      'resume',
      { afterSeq: lastSeq },
    );
    expect(resumed.ok).toBe(true);
    for (const m of resumed.ok ? resumed.data.messages : []) {
      expect(seen.has(m.seq)).toBe(false);
      seen.set(m.seq, m);
    }
    const retried = await request<ChatMessage>(back.socket, 'chat:send', {
      clientMsgId: 'c-2',
      text: 'sent as A died',
    });
    expect(retried.ok).toBe(true);
    if (retried.ok) seen.set(retried.data.seq, retried.data);

    const stored = await database.db
      .selectFrom('chat_messages')
      .select(['seq', 'client_msg_id'])
      .where('session_id', '=', s.session.id)
      .orderBy('seq')
      .execute();
    expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
    expect(stored.map((m) => m.client_msg_id).sort()).toEqual([
      'c-1',
      'c-2',
      'e-1',
      'e-2',
      'e-3',
      'e-4',
    ]);
    expect([...seen.keys()].sort((x, y) => x - y)).toEqual(stored.map((m) => m.seq));

    // Billing goes on from B alone, the next minute after the last one the client heard.
    const next = await nextEvent(
      back.socket,
      'billing:charged',
      (c) => c.minute > lastMinute,
      10_000,
    );
    expect(next.minute).toBeLessThanOrEqual(lastMinute + 2);

    // A's heartbeat stops; once it is declared dead its sockets are dropped, and the client,
    // connected on B, is not away.
    const bNode = await vi.waitFor(
      async () => {
        const nodes = await database.db.selectFrom('realtime_nodes').select('id').execute();
        expect(nodes).toHaveLength(1);
        return nodes[0]!.id;
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(
      await database.db.selectFrom('realtime_connections').select('node_id').distinct().execute(),
    ).toEqual([{ node_id: bNode }]);
    expect(
      await database.db
        .selectFrom('sessions')
        .select(['state', 'client_away_since', 'paused_at'])
        .where('id', '=', s.session.id)
        .executeTakeFirst(),
    ).toEqual({ state: 'live', client_away_since: null, paused_at: null });

    const ended = nextEvent(back.socket, 'session:ended');
    await request(expert.socket, 'session:end', {});
    await ended;
    // Each minute charged once, numbered without gaps, the ledger balanced (L1–L6).
    expect(await ledgerViolations(database.db, deps.config.SPLIT_EXPERT_PERCENT)).toEqual([]);
    const minutes = await database.db
      .selectFrom('ledger_transfers')
      .select('id')
      .where('session_id', '=', s.session.id)
      .where('kind', '=', 'charge')
      .execute();
    expect(minutes.length).toBeGreaterThan(lastMinute);
    // Neither node logged an error (a double charge would have been a key violation).
    expect([...a.log, ...b.log].filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  }, 60_000);
});
