import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { withStarts } from '../../../test-support/budgets.ts';
import { buildSession } from '../../../test-support/factories.ts';
import { createDatabase, dropDatabase } from '../../../test-support/postgres-admin.ts';
import { startNode, type NodeProcess } from '../../../test-support/processes.ts';
import {
  connectRoom,
  nextEvent,
  request,
  type RoomClient,
} from '../../../test-support/realtime.ts';
import { SessionRoom } from '../../../sdk/src/room.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { connectPostgres, type DatabaseHandle } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { databaseClock } from '../../src/platform/clock.ts';
import type { Deps } from '../../src/platform/context.ts';
import { randomIds } from '../../src/platform/ids.ts';

const baseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
/** A message holding this, committed by node A, kills A before it is published (FAULTS). */
const DIE = 'die-after-commit';

/**
 * D3 when a node dies at the worst instant: node A is killed by its fault-injection point just
 * after a chat batch commits and before it is published. The client sits on A (a raw socket),
 * the expert on B (the SDK's SessionRoom). The expert must end with every message exactly
 * once, in order: by the gap a later message shows, by the server's `chat:head` when A is
 * declared dead (the silent tail), or by the client's retry, which reaches the whole room.
 */
describe.skipIf(!baseUrl || !redisUrl)(
  'chat when a node dies between commit and publish (two nodes)',
  () => {
    const name = `${inject('hgRunId')}_death_${randomBytes(3).toString('hex')}`;
    let database: DatabaseHandle;
    let deps: Deps;
    let app: FastifyInstance | undefined;
    let env: Record<string, string>;
    let b: NodeProcess;
    const nodes: NodeProcess[] = [];
    const rooms: SessionRoom[] = [];
    const sockets: RoomClient[] = [];
    /** A fresh node A, armed to die after committing a message that holds DIE. */
    const startA = async () => {
      const a = await startNode({ ...env, FAULTS: `chat.committed=kill@${DIE}` }, 'node A');
      nodes.push(a);
      return a;
    };
    const join = async (node: NodeProcess, token: string) => {
      const r = await connectRoom(node.url, token);
      sockets.push(r.socket);
      return r.socket;
    };
    const expertRoom = async (token: string) => {
      const room = new SessionRoom({
        baseUrl: b.url,
        token,
        reconnectDelayMs: 50,
        reconnectDelayMaxMs: 200,
      });
      rooms.push(room);
      await room.connect();
      return room;
    };
    const texts = (room: SessionRoom) => room.messages().map((m) => [m.seq, m.text, m.delivery]);
    const stored = async (sessionId: string) =>
      (
        await database.db
          .selectFrom('chat_messages')
          .select(['seq', 'text'])
          .where('session_id', '=', sessionId)
          .orderBy('seq')
          .execute()
      ).map((m) => [m.seq, m.text, 'sent']);
    /** Sends `text` from a socket on A and waits for A to die of it. */
    const sendAndDie = async (
      socket: RoomClient,
      a: NodeProcess,
      clientMsgId: string,
      text: string,
    ) => {
      const dropped = new Promise((resolve) => socket.once('disconnect', resolve));
      socket.emit('chat:send', { clientMsgId, text });
      await dropped;
      await a.exited;
    };

    beforeAll(async () => {
      const url = await createDatabase(baseUrl!, name);
      database = connectPostgres(url, 5);
      await migrate(database.db);
      env = {
        DATABASE_URL: url,
        REDIS_URL: redisUrl!,
        SWEEP_INTERVAL_MS: '100',
        REALTIME_NODE_TTL_S: '3',
        REDIS_PREFIX: name,
      };
      b = await startNode(env, 'node B');
      nodes.push(b);
      const config = loadConfig({ ...env, ROLES: 'api', LOG_LEVEL: 'silent', DEMO_SEED: 'false' });
      ({ app, deps } = await buildApp({ config, database, clock: databaseClock, ids: randomIds }));
    }, withStarts(1));
    afterEach(() => {
      for (const r of rooms.splice(0)) r.close();
      for (const s of sockets.splice(0)) s.close();
    });
    afterAll(async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await app?.close();
      await database?.close();
      await dropDatabase(baseUrl!, name);
    });

    it(
      'a gap: the message A stored as it died is filled in when a later one arrives',
      async () => {
        const a = await startA();
        const s = await buildSession(deps, { type: 'chat', credit: 100_000 });
        const client = await join(a, s.links.client.token);
        const expert = await expertRoom(s.links.expert.token);
        expect(
          await request(client, 'chat:send', { clientMsgId: 'c-1', text: 'before' }),
        ).toMatchObject({ ok: true });
        await sendAndDie(client, a, 'c-2', `${DIE}: the gap`);
        // Stored, and A never published it.
        expect(await stored(s.session.id)).toHaveLength(2);
        // The client comes back on B and writes on (a new message, not the retry).
        const back = await join(b, s.links.client.token);
        expect(
          await request(back, 'chat:send', { clientMsgId: 'c-3', text: 'after' }),
        ).toMatchObject({ ok: true, data: { seq: 3 } });
        await vi.waitFor(async () => expect(texts(expert)).toEqual(await stored(s.session.id)));
        expect(texts(expert).map((m) => m[0])).toEqual([1, 2, 3]);
      },
      withStarts(1),
    );

    it(
      'a silent tail: the last message, with nothing after it, reaches the expert once A is declared dead',
      async () => {
        const a = await startA();
        const s = await buildSession(deps, { type: 'chat', credit: 100_000 });
        const client = await join(a, s.links.client.token);
        const expert = await expertRoom(s.links.expert.token);
        expect(
          await request(client, 'chat:send', { clientMsgId: 'c-1', text: 'before' }),
        ).toMatchObject({ ok: true });
        await vi.waitFor(() => expect(texts(expert)).toHaveLength(1));
        await sendAndDie(client, a, 'c-2', `${DIE}: the tail`);
        // Nobody writes again and the client does not come back: A's heartbeat (3 s TTL) is all there is.
        await vi.waitFor(async () => expect(texts(expert)).toEqual(await stored(s.session.id)), {
          timeout: 15_000,
          interval: 100,
        });
        expect(texts(expert)).toEqual([
          [1, 'before', 'sent'],
          [2, `${DIE}: the tail`, 'sent'],
        ]);
      },
      withStarts(1),
    );

    it(
      "a retry: the client's resend after A died is published to the whole room, once",
      async () => {
        const a = await startA();
        const s = await buildSession(deps, { type: 'chat', credit: 100_000 });
        const client = await join(a, s.links.client.token);
        const expert = await join(b, s.links.expert.token);
        await sendAndDie(client, a, 'c-1', `${DIE}: retried`);
        const back = await join(b, s.links.client.token);
        const frame = nextEvent(expert, 'chat:messages');
        // Without an acknowledgement, as the SDK sends: the room's frame is the answer.
        const answer = nextEvent(back, 'chat:messages');
        back.emit('chat:send', { clientMsgId: 'c-1', text: `${DIE}: retried` });
        expect(await frame).toMatchObject([{ seq: 1, clientMsgId: 'c-1' }]);
        expect(await answer).toMatchObject([{ seq: 1, clientMsgId: 'c-1' }]);
        expect(await stored(s.session.id)).toHaveLength(1);
      },
      withStarts(1),
    );
  },
);
