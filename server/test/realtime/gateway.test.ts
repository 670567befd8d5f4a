import { realtimeProtocol } from '@hourglass/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { io } from 'socket.io-client';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSession, operator } from '../../../test-support/factories.ts';
import {
  collect,
  connectRoom,
  nextEvent,
  refusalOf,
  request,
  type RoomClient,
} from '../../../test-support/realtime.ts';
import { clientFor } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { revokeToken } from '../../src/sessions/service.ts';
import { Seat } from '../../src/realtime/seat.ts';
import { billingTick } from '../../src/sweeps/billing.ts';
import { deadlineTick } from '../../src/sweeps/schedule.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');
const AUDIO_OFFER =
  'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n';
const VIDEO_OFFER = `${AUDIO_OFFER}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n`;

describeOnDatabases('realtime gateway', (target) => {
  let server: TestServer;
  const sockets: RoomClient[] = [];
  const at = (seconds: number) => server.clock.set(new Date(T0 + seconds * 1000));
  const connection = (socketId: string) =>
    server.deps.db
      .selectFrom('realtime_connections')
      .selectAll()
      .where('socket_id', '=', socketId)
      .executeTakeFirst();

  /** A session and both of its participants connected (on demand: live, minute 1 charged). */
  async function room(o: Parameters<typeof buildSession>[1] = {}) {
    const s = await buildSession(server.deps, o);
    const client = await connectRoom(server.url, s.links.client.token);
    const expert = await connectRoom(server.url, s.links.expert.token);
    sockets.push(client.socket, expert.socket);
    return { s, client, expert };
  }

  beforeAll(async () => {
    server = await startServer(target, {
      REALTIME_MAX_SOCKETS: '2',
      REALTIME_BURST: '30',
      REALTIME_RATE_PER_S: '5',
    });
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
    at(0);
  });
  afterAll(() => server?.close());

  describe('handshake', () => {
    it('serves the protocol versions it knows and refuses others with protocol_mismatch, joining nothing', async () => {
      const s = await buildSession(server.deps);
      const { oldest, version } = realtimeProtocol;
      for (const v of [oldest - 1, version + 1]) {
        expect(await refusalOf(server.url, { token: s.links.client.token, v })).toEqual({
          code: 'protocol_mismatch',
          details: { client: v, oldest, newest: version },
        });
      }
      expect(
        (
          await server.deps.db
            .selectFrom('sessions')
            .select('client_joined_at')
            .where('id', '=', s.session.id)
            .executeTakeFirstOrThrow()
        ).client_joined_at,
      ).toBeNull();
      // Without a version: the protocol before versions were sent (1), still served.
      for (const auth of [{}, { v: version }]) {
        const r = await connectRoom(server.url, s.links.client.token, auth);
        sockets.push(r.socket);
      }
    });

    it('refuses a missing, malformed or unknown token with a code', async () => {
      expect(await refusalOf(server.url, {})).toMatchObject({ code: 'unauthenticated' });
      expect(await refusalOf(server.url, { token: 42 })).toMatchObject({ code: 'unauthenticated' });
      expect(await refusalOf(server.url, { token: 'hgj_nope' })).toMatchObject({
        code: 'token_invalid',
      });
      expect(await refusalOf(server.url, { token: `hgj_${'A'.repeat(43)}` })).toMatchObject({
        code: 'token_invalid',
      });
    });

    it('refuses a revoked token, an expired token and a token of an ended session', async () => {
      at(0);
      const revoked = await buildSession(server.deps);
      await revokeToken(server.deps, operator, revoked.session.id, 'client');
      expect(await refusalOf(server.url, { token: revoked.links.client.token })).toMatchObject({
        code: 'token_revoked',
      });

      const expired = await buildSession(server.deps);
      server.clock.set(new Date(Date.parse(expired.links.client.validUntil) + 1000));
      expect(await refusalOf(server.url, { token: expired.links.client.token })).toMatchObject({
        code: 'token_expired',
      });

      at(0);
      const { s, client } = await room();
      const ended = nextEvent(client.socket, 'session:ended');
      expect(await request(client.socket, 'session:end', {})).toMatchObject({
        ok: true,
        data: { state: 'ended', endReason: 'ended_by_client' },
      });
      await ended;
      expect(await refusalOf(server.url, { token: s.links.expert.token })).toMatchObject({
        code: 'session_ended',
      });
    });

    it('the server does not keep the join token once the handshake has read it', async () => {
      at(0);
      const { s } = await room();
      const kept = (await server.io!.fetchSockets()).filter(
        (x) => x.data instanceof Seat && x.data.sessionId === s.session.id,
      );
      expect(kept).toHaveLength(2);
      for (const socket of kept)
        expect(JSON.stringify(socket.handshake)).not.toContain(s.links.client.token.slice(4));
      for (const socket of kept)
        expect(JSON.stringify(socket.handshake)).not.toContain(s.links.expert.token.slice(4));
    });

    it('a participant socket keeps a seat without its user id, and shares one frozen listener array', async () => {
      at(0);
      // The first participant socket on a node gets onAny's own array; every later one the shared one.
      await room();
      const { s } = await room();
      const mine = [...server.io!.of('/').sockets.values()].filter(
        (x) => x.data instanceof Seat && x.data.sessionId === s.session.id,
      );
      expect(mine.map((x) => (x.data as Seat).role).sort()).toEqual(['client', 'expert']);
      for (const x of mine) expect(Object.values(x.data)).not.toContain(s.client.id);
      for (const x of mine) expect(Object.values(x.data)).not.toContain(s.expert.id);
      const [a, b] = mine.map((x) => x.listenersAny());
      expect(a).toHaveLength(1);
      expect(a).toBe(b);
      expect(Object.isFrozen(a)).toBe(true);
      // A stray onAny on one socket fails loudly rather than adding a listener to every socket.
      expect(() => mine[0]!.onAny(() => undefined)).toThrow(TypeError);
      expect(b).toHaveLength(1);
    });

    it('a transport that closes while its handshake commits leaves no connection behind', async () => {
      const s = await buildSession(server.deps);
      // Earlier tests' sockets are gone (their departures read the clock too).
      await vi.waitFor(async () =>
        expect(
          await server.deps.db.selectFrom('realtime_connections').select('socket_id').execute(),
        ).toEqual([]),
      );
      // Holds the handshake's transaction at its start (nothing else reads the clock now)
      // while the client goes away: socket.io then drops the socket without a 'disconnect'.
      const original = server.clock.now;
      let entered!: () => void;
      let release!: () => void;
      const inHandshake = new Promise<void>((r) => (entered = r));
      const released = new Promise<void>((r) => (release = r));
      server.clock.now = async () => {
        server.clock.now = original;
        entered();
        await released;
        return original.call(server.clock);
      };
      // The server's side of this client's transport, and its end.
      const transportClosed = new Promise<void>((r) =>
        server.io!.engine.once('connection', (conn: { once(e: 'close', f: () => void): void }) =>
          conn.once('close', r),
        ),
      );
      const socket = io(server.url, {
        path: '/socket.io',
        auth: { token: s.links.client.token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      const connected = vi.fn();
      socket.on('connect', connected);
      await inHandshake;
      socket.close();
      await transportClosed;
      release();
      const session = () =>
        server.deps.db
          .selectFrom('sessions')
          .select(['client_joined_at', 'client_away_since'])
          .where('id', '=', s.session.id)
          .executeTakeFirstOrThrow();
      const sockets = () =>
        server.deps.db
          .selectFrom('realtime_connections')
          .select('socket_id')
          .where('session_id', '=', s.session.id)
          .execute();
      // The handshake did commit (the join is recorded), and its arrival was undone.
      await vi.waitFor(async () => expect((await session()).client_away_since).not.toBeNull());
      expect((await session()).client_joined_at).not.toBeNull();
      expect(await sockets()).toEqual([]);
      expect(connected).not.toHaveBeenCalled();
    });

    it('refuses a participant beyond the connection limit; several tabs count as one presence', async () => {
      const s = await buildSession(server.deps);
      const a = await connectRoom(server.url, s.links.client.token);
      const b = await connectRoom(server.url, s.links.client.token);
      sockets.push(a.socket, b.socket);
      expect(await refusalOf(server.url, { token: s.links.client.token })).toMatchObject({
        code: 'too_many_connections',
        details: { max: 2 },
      });
      expect(b.state.participants).toEqual([
        { role: 'client', status: 'present', since: null },
        { role: 'expert', status: 'absent', since: null },
      ]);
      // One tab closes: the client is still present, and the room hears nothing of it.
      const heard = collect(b.socket, 'presence');
      const closed = a.socket.id!;
      a.socket.close();
      await vi.waitFor(async () => expect(await connection(closed)).toBeUndefined());
      const expert = await connectRoom(server.url, s.links.expert.token);
      sockets.push(expert.socket);
      expect(expert.state.participants[0]).toEqual({
        role: 'client',
        status: 'present',
        since: null,
      });
      expect(heard.filter((p) => p.role === 'client')).toEqual([]);
    });
  });

  describe('session:state and going live', () => {
    it('sends the state on connect; both connected → live, the clock starts, the first side hears it', async () => {
      at(0);
      const s = await buildSession(server.deps, { credit: 1000 });
      const client = await connectRoom(server.url, s.links.client.token);
      sockets.push(client.socket);
      expect(client.state).toMatchObject({
        sessionId: s.session.id,
        you: 'client',
        type: 'chat',
        state: 'accepted',
        balance: 1000,
        messages: [],
        extensionMinutes: [],
      });
      const started = nextEvent(client.socket, 'session:started');
      const charged = nextEvent(client.socket, 'billing:charged');
      const present = nextEvent(client.socket, 'presence', (p) => p.role === 'expert');
      const expert = await connectRoom(server.url, s.links.expert.token);
      sockets.push(expert.socket);
      expect(await started).toMatchObject({
        startedAt: new Date(T0).toISOString(),
        serverNow: new Date(T0).toISOString(),
      });
      expect(await charged).toEqual({
        minute: 1,
        amount: 100,
        balance: 900,
        paidUntil: new Date(T0 + 60_000).toISOString(),
      });
      expect(await present).toEqual({ role: 'expert', status: 'present', since: null });
      expect(expert.state).toMatchObject({
        you: 'expert',
        state: 'live',
        balance: null,
        timer: {
          startedAt: new Date(T0).toISOString(),
          paidUntil: new Date(T0 + 60_000).toISOString(),
          serverNow: new Date(T0).toISOString(),
        },
      });
    });

    it('a participant whose last socket drops is away', async () => {
      const { client, expert } = await room();
      const presence = nextEvent(
        client.socket,
        'presence',
        (p) => p.role === 'expert' && p.status === 'away',
      );
      expert.socket.close();
      expect(await presence).toEqual({
        role: 'expert',
        status: 'away',
        since: new Date(T0).toISOString(),
      });
    });
  });

  describe('chat', () => {
    it('stores, acknowledges and broadcasts to every socket of the session; a retry is the same message, its copy broadcast again', async () => {
      const { client, expert } = await room();
      const heard = {
        client: collect(client.socket, 'chat:messages'),
        expert: collect(expert.socket, 'chat:messages'),
      };
      const first = await request(client.socket, 'chat:send', {
        clientMsgId: 'm1',
        text: 'hello <b>there</b>',
      });
      expect(first).toMatchObject({
        ok: true,
        data: { seq: 1, from: 'client', text: 'hello <b>there</b>', clientMsgId: 'm1' },
      });
      expect(
        await request(client.socket, 'chat:send', {
          clientMsgId: 'm1',
          text: 'hello <b>there</b>',
        }),
      ).toEqual(first);
      const third = [
        nextEvent(client.socket, 'chat:messages', (ms) => ms.some((m) => m.seq === 3)),
        nextEvent(expert.socket, 'chat:messages', (ms) => ms.some((m) => m.seq === 3)),
      ];
      await request(expert.socket, 'chat:send', { clientMsgId: 'e1', text: 'hi' });
      await request(client.socket, 'chat:send', { clientMsgId: 'm2', text: 'how are you' });
      await Promise.all(third);
      // The retry's stored copy went to the whole session again (its first publish may have died with its node).
      for (const frames of [heard.client, heard.expert])
        expect(frames.flat().map((m) => [m.seq, m.from])).toEqual([
          [1, 'client'],
          [1, 'client'],
          [2, 'expert'],
          [3, 'client'],
        ]);
      expect(heard.expert.flat()[0]).toEqual(first.ok && first.data);
    });

    it('without an acknowledgement: answered by the session’s chat:messages, a retry by its stored copy to the session, a refusal by refused naming the message', async () => {
      const { client, expert } = await room();
      const heard = collect(expert.socket, 'chat:messages');
      const own = nextEvent(client.socket, 'chat:messages');
      client.socket.emit('chat:send', { clientMsgId: 'n1', text: 'no ack' });
      const [stored] = await own;
      expect(stored).toMatchObject({ seq: 1, clientMsgId: 'n1', from: 'client', text: 'no ack' });
      const again = [
        nextEvent(client.socket, 'chat:messages'),
        nextEvent(expert.socket, 'chat:messages'),
      ];
      client.socket.emit('chat:send', { clientMsgId: 'n1', text: 'no ack' });
      expect(await Promise.all(again)).toEqual([[stored], [stored]]);
      const refused = nextEvent(client.socket, 'refused');
      client.socket.emit('chat:send', { clientMsgId: 'n2', text: '   ' });
      expect(await refused).toMatchObject({ code: 'validation_failed', clientMsgId: 'n2' });
      // Several sent at once: every one stored once, in order, whatever frames carried them.
      const last = nextEvent(expert.socket, 'chat:messages', (ms) =>
        ms.some((m) => m.clientMsgId === 'b5'),
      );
      for (let i = 1; i <= 5; i++)
        client.socket.emit('chat:send', { clientMsgId: `b${i}`, text: `burst ${i}` });
      await last;
      expect(heard.flat().map((m) => [m.seq, m.clientMsgId])).toEqual([
        [1, 'n1'],
        [1, 'n1'],
        [2, 'b1'],
        [3, 'b2'],
        [4, 'b3'],
        [5, 'b4'],
        [6, 'b5'],
      ]);
    });

    it('resume returns every message after a seq, in order', async () => {
      const { client, expert } = await room();
      for (let i = 1; i <= 5; i++)
        await request(i % 2 ? client.socket : expert.socket, 'chat:send', {
          clientMsgId: `x${i}`,
          text: `n${i}`,
        });
      const r = await request<{ messages: { seq: number; text: string }[]; more: boolean }>(
        client.socket,
        'resume',
        { afterSeq: 2 },
      );
      expect(r).toMatchObject({ ok: true, data: { more: false } });
      expect(r.ok && r.data.messages.map((m) => [m.seq, m.text])).toEqual([
        [3, 'n3'],
        [4, 'n4'],
        [5, 'n5'],
      ]);
      // A reconnect gets the history in session:state as well.
      const again = await connectRoom(server.url, (await room()).s.links.client.token);
      sockets.push(again.socket);
      expect(again.state.messages).toEqual([]);
    });

    it('refuses bad payloads and chat in a voice session, storing nothing', async () => {
      const { client } = await room();
      for (const bad of [
        {},
        { clientMsgId: 'a' },
        { clientMsgId: 'a', text: '   ' },
        { clientMsgId: 'a', text: 'x'.repeat(4001) },
        { clientMsgId: 'a', text: 'x', extra: 1 },
        'text',
      ]) {
        expect(await request(client.socket, 'chat:send', bad)).toMatchObject({
          ok: false,
          error: { code: 'validation_failed' },
        });
      }
      expect(await request(client.socket, 'resume', { afterSeq: -1 })).toMatchObject({
        ok: false,
        error: { code: 'validation_failed' },
      });
      const voice = await room({ type: 'voice' });
      expect(
        await request(voice.client.socket, 'chat:send', { clientMsgId: 'v', text: 'hi' }),
      ).toMatchObject({ ok: false, error: { code: 'not_allowed_for_type' } });
      const r = await request<{ messages: unknown[] }>(client.socket, 'resume', { afterSeq: 0 });
      expect(r.ok && r.data.messages).toEqual([]);
    });

    it("a socket hears only its own session's room", async () => {
      const a = await room();
      const b = await room();
      const heard = collect(b.expert.socket, 'chat:messages');
      await request(a.client.socket, 'chat:send', { clientMsgId: 'secret', text: 'for a only' });
      const own = nextEvent(b.expert.socket, 'chat:messages');
      await request(b.client.socket, 'chat:send', { clientMsgId: 'b', text: 'for b' });
      await own;
      expect(heard.flat().map((m) => m.text)).toEqual(['for b']);
    });
  });

  describe('signaling', () => {
    it('relays in voice and video sessions, with the sender', async () => {
      const { client, expert } = await room({ type: 'video' });
      const got = nextEvent(expert.socket, 'signal');
      expect(
        await request(client.socket, 'signal', {
          description: { type: 'offer', sdp: VIDEO_OFFER },
        }),
      ).toEqual({ ok: true, data: null });
      expect(await got).toEqual({
        description: { type: 'offer', sdp: VIDEO_OFFER },
        from: 'client',
      });
      const cand = nextEvent(client.socket, 'signal');
      await request(expert.socket, 'signal', {
        candidate: {
          candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host',
          sdpMid: '0',
          sdpMLineIndex: 0,
        },
      });
      expect(await cand).toMatchObject({ from: 'expert', candidate: { sdpMid: '0' } });
    });

    it("relays to the other side only: the sender's second tab hears neither its signal nor its media state", async () => {
      const { s, client, expert } = await room({ type: 'video' });
      const tab2 = await connectRoom(server.url, s.links.client.token);
      sockets.push(tab2.socket);
      const echoed = {
        signal: collect(tab2.socket, 'signal'),
        media: collect(tab2.socket, 'media:state'),
      };
      const got = [nextEvent(expert.socket, 'signal'), nextEvent(expert.socket, 'media:state')];
      expect(
        await request(client.socket, 'signal', {
          description: { type: 'offer', sdp: VIDEO_OFFER },
        }),
      ).toEqual({ ok: true, data: null });
      client.socket.emit('media:state', { audio: true, video: false });
      expect(await Promise.all(got)).toMatchObject([
        { from: 'client' },
        { role: 'client', audio: true, video: false },
      ]);
      // The expert's answer reaches both of the client's tabs; had the client's own signal or
      // media state reached the second tab, it would have come first.
      const answer = nextEvent(tab2.socket, 'signal');
      expect(
        await request(expert.socket, 'signal', {
          description: { type: 'answer', sdp: VIDEO_OFFER },
        }),
      ).toEqual({ ok: true, data: null });
      await answer;
      expect(echoed).toEqual({
        signal: [{ description: { type: 'answer', sdp: VIDEO_OFFER }, from: 'expert' }],
        media: [],
      });
    });

    it('refuses signaling in a chat session, video in a voice session, and oversized payloads', async () => {
      const chat = await room({ type: 'chat' });
      expect(
        await request(chat.client.socket, 'signal', {
          description: { type: 'offer', sdp: AUDIO_OFFER },
        }),
      ).toMatchObject({ ok: false, error: { code: 'not_allowed_for_type' } });
      const voice = await room({ type: 'voice' });
      const heard = collect(voice.expert.socket, 'signal');
      expect(
        await request(voice.client.socket, 'signal', {
          description: { type: 'offer', sdp: VIDEO_OFFER },
        }),
      ).toMatchObject({ ok: false, error: { code: 'not_allowed_for_type' } });
      expect(
        await request(voice.client.socket, 'signal', {
          description: { type: 'offer', sdp: AUDIO_OFFER + 'a=x'.repeat(30_000) },
        }),
      ).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
      expect(
        await request(voice.client.socket, 'signal', { description: { type: 'bogus' } }),
      ).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
      const relayed = nextEvent(voice.expert.socket, 'signal');
      expect(
        await request(voice.client.socket, 'signal', {
          description: { type: 'offer', sdp: AUDIO_OFFER },
        }),
      ).toEqual({ ok: true, data: null });
      await relayed;
      // Only the allowed offer reached the other side.
      expect(heard).toEqual([{ description: { type: 'offer', sdp: AUDIO_OFFER }, from: 'client' }]);
    });
  });

  describe('the server clock', () => {
    it('the deadline sweep ends a scheduled session and both sides hear session:ended', async () => {
      at(0);
      const { client, expert } = await room({
        kind: 'scheduled',
        scheduledAt: new Date(T0),
        durationMinutes: 15,
      });
      expect(expert.state.timer.endsAt).toBe(new Date(T0 + 15 * 60_000).toISOString());
      // Only the client of a scheduled session is offered more time, in the server's lengths.
      expect([client.state.extensionMinutes, expert.state.extensionMinutes]).toEqual([
        [5, 10, 15],
        [],
      ]);
      const ended = [
        nextEvent(client.socket, 'session:ended'),
        nextEvent(expert.socket, 'session:ended'),
      ];
      at(15 * 60);
      await deadlineTick(server.deps);
      for (const e of await Promise.all(ended))
        expect(e).toEqual({ reason: 'time_up', endedAt: new Date(T0 + 15 * 60_000).toISOString() });
    });

    it('billing: the client hears each charge with the balance, the expert without; then low balance and the end', async () => {
      at(0);
      const { client, expert } = await room({ credit: 300 });
      const c = [
        nextEvent(client.socket, 'billing:charged'),
        nextEvent(expert.socket, 'billing:charged'),
      ];
      const low = [
        nextEvent(client.socket, 'session:low_balance'),
        nextEvent(expert.socket, 'session:low_balance'),
      ];
      at(60);
      await billingTick(server.deps);
      expect(await Promise.all(c)).toEqual([
        { minute: 2, amount: 100, balance: 100, paidUntil: new Date(T0 + 120_000).toISOString() },
        { minute: 2, amount: 100, balance: null, paidUntil: new Date(T0 + 120_000).toISOString() },
      ]);
      expect(await Promise.all(low)).toEqual([
        { balance: 100, minutesLeft: 1 },
        { balance: null, minutesLeft: 1 },
      ]);
      const ended = nextEvent(expert.socket, 'session:ended');
      at(180);
      await billingTick(server.deps);
      expect(await ended).toEqual({
        reason: 'insufficient_funds',
        endedAt: new Date(T0 + 180_000).toISOString(),
      });
    });

    it('session:end from either side reaches both; ending twice is harmless', async () => {
      const { s, client, expert } = await room();
      const heard = [
        nextEvent(client.socket, 'session:ended'),
        nextEvent(expert.socket, 'session:ended'),
      ];
      expect(await request(expert.socket, 'session:end', {})).toMatchObject({
        ok: true,
        data: { state: 'ended', endReason: 'ended_by_expert' },
      });
      expect((await Promise.all(heard)).map((e) => e.reason)).toEqual([
        'ended_by_expert',
        'ended_by_expert',
      ]);
      // The room is closed now; over HTTP, ending again answers the same.
      const again = await clientFor(server.url, { joinToken: s.links.client.token }).call(
        'endSession',
        { params: { id: s.session.id }, body: {} },
      );
      expect(again).toMatchObject({ state: 'ended', endReason: 'ended_by_expert' });
    });

    it('a payload that names another session is refused and changes nothing; naming its own is fine', async () => {
      const { s, client, expert } = await room();
      const other = await room();
      expect(
        await request(client.socket, 'session:end', { sessionId: other.s.session.id }),
      ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(
        await request(client.socket, 'chat:send', {
          sessionId: other.s.session.id,
          clientMsgId: 'x1',
          text: 'hi',
        }),
      ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      const refused = nextEvent(client.socket, 'refused');
      (client.socket.emit as (...a: unknown[]) => void)('chat:send', {
        sessionId: other.s.session.id,
        clientMsgId: 'x2',
        text: 'hi',
      });
      expect(await refused).toMatchObject({ code: 'forbidden', clientMsgId: 'x2' });
      const states = await server.deps.db
        .selectFrom('sessions')
        .select('state')
        .where('id', 'in', [s.session.id, other.s.session.id])
        .execute();
      expect(states.map((r) => r.state)).toEqual(['live', 'live']);
      expect(
        await server.deps.db
          .selectFrom('chat_messages')
          .select('seq')
          .where('session_id', 'in', [s.session.id, other.s.session.id])
          .execute(),
      ).toEqual([]);
      expect(
        await request(client.socket, 'chat:send', {
          sessionId: s.session.id,
          clientMsgId: 'x3',
          text: 'mine',
        }),
      ).toMatchObject({ ok: true, data: { seq: 1 } });
      expect(
        await request(expert.socket, 'session:end', { sessionId: s.session.id }),
      ).toMatchObject({ ok: true, data: { state: 'ended' } });
    });
  });

  describe('limits', () => {
    it('a flooding socket is refused over its rate, and another session is not held up', async () => {
      const flood = await room();
      const other = await room();
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          request(flood.client.socket, 'chat:send', { clientMsgId: `f${i}`, text: 'spam' }),
        ),
      );
      const refused = answers.filter((a) => !a.ok);
      expect(refused.length).toBeGreaterThanOrEqual(25);
      expect(refused[0]).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      // Without an acknowledgement the refusal names the message it refused.
      const named = nextEvent(flood.client.socket, 'refused');
      flood.client.socket.emit('chat:send', { clientMsgId: 'one-more', text: 'spam' });
      expect(await named).toMatchObject({ code: 'rate_limited', clientMsgId: 'one-more' });
      expect(
        await request(other.client.socket, 'chat:send', { clientMsgId: 'calm', text: 'fine' }),
      ).toMatchObject({ ok: true, data: { seq: 1 } });
    });
  });
});
