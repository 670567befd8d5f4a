import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildLiveSession, buildSession, operator } from '../../../test-support/factories.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import type { ChatMessage } from '@hourglass/protocol';
import { ChatWriter, type ChatWriterLimits, type Participant } from '../../src/realtime/chat.ts';
import { endSession } from '../../src/sessions/service.ts';

/** Group commit (hg_chat_store, migration 023): many messages, one transaction, each answered on its own. */
/** A send as a promise: resolved by the submission's `sent`, rejected by its `failed`. */
const send = (
  writer: ChatWriter,
  p: Participant,
  type: 'chat' | 'voice' | 'video',
  input: { clientMsgId: string; text: string },
) =>
  new Promise<{ message: ChatMessage; created: boolean }>((resolve, reject) =>
    writer.send({
      p,
      type,
      ...input,
      sent: (message, created) => resolve({ message, created }),
      failed: reject,
    }),
  );

describeOnDatabases('chat writer', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  const stored = (sessionId: string) =>
    server.deps.db
      .selectFrom('chat_messages')
      .select(['seq', 'sender_role', 'client_msg_id', 'text'])
      .where('session_id', '=', sessionId)
      .orderBy('seq')
      .execute();

  /** A writer that records what it publishes: [sessionId, messages] per call. */
  const recording = (limits?: ChatWriterLimits) => {
    const published: [string, ChatMessage[]][] = [];
    return {
      writer: new ChatWriter(
        server.deps,
        (sessionId, messages) => published.push([sessionId, messages]),
        limits,
      ),
      published,
    };
  };

  it('numbers concurrent sends per session without gaps, keeps each sender’s order, and answers copies with the stored message', async () => {
    const { writer, published } = recording();
    const sessions = await Promise.all([
      buildSession(server.deps),
      buildSession(server.deps),
      buildSession(server.deps),
    ]);
    const sends = sessions.flatMap((s) =>
      Array.from({ length: 40 }, (_, i) => {
        const role = i % 2 === 0 ? 'client' : 'expert';
        const who = {
          sessionId: s.session.id,
          userId: role === 'client' ? s.client.id : s.expert.id,
          role,
        } as const;
        return send(writer, who, 'chat', {
          clientMsgId: `${role}-${i >> 1}`,
          text: `${role} ${i >> 1}`,
        });
      }),
    );
    // Copies sent in the same burst: of the first message (stored by the first batch, which
    // left alone) and of a later one (in the same batch as the copy): the stored message, not
    // created again.
    const s0 = sessions[0]!;
    const copyOf = (clientMsgId: string) =>
      send(writer, { sessionId: s0.session.id, userId: s0.client.id, role: 'client' }, 'chat', {
        clientMsgId,
        text: 'different text',
      });
    const copies = [copyOf('client-0'), copyOf('client-5')];
    const results = await Promise.all(sends);
    expect(results.every((r) => r.created)).toBe(true);
    const copied = await Promise.all(copies);
    expect(copied).toEqual([
      { message: results[0]!.message, created: false },
      { message: results[10]!.message, created: false },
    ]);
    const copyAnswers = new Set(copied.map((c) => c.message));
    for (const s of sessions) {
      const rows = await stored(s.session.id);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      // Published once each as created, in seq order, a batch's messages of a session together:
      // all were queued at once, so the lane's first batch and then one more. The copies' stored
      // messages are published again, in frames of their own.
      const calls = published.filter(([id]) => id === s.session.id).map(([, ms]) => ms);
      const created = calls.filter((ms) => !ms.some((m) => copyAnswers.has(m)));
      expect(created.flat().map((m) => m.seq)).toEqual(rows.map((r) => r.seq));
      expect(created.length).toBeLessThanOrEqual(2);
      expect(calls.filter((ms) => !created.includes(ms)).flat()).toEqual(
        s === s0 ? copied.map((c) => c.message) : [],
      );
      for (const role of ['client', 'expert']) {
        const mine = rows.filter((r) => r.sender_role === role).map((r) => r.text);
        expect(mine).toEqual(Array.from({ length: 20 }, (_, i) => `${role} ${i}`));
      }
    }
  });

  it('numbers sessions interleaved in one batch each from its own count, around copies stored before and copies within the batch', async () => {
    // hg_chat_store answers a created message only when it is its session's first in the batch
    // (migration 023): the writer numbers the rest, and a stored copy in the batch makes the
    // database store it a second way. Both must give what was stored.
    const { writer, published } = recording({ lanes: 1 });
    const [a, b] = await Promise.all([buildSession(server.deps), buildSession(server.deps)]);
    const side = (s: typeof a, role: 'client' | 'expert') =>
      ({
        sessionId: s.session.id,
        userId: role === 'client' ? s.client.id : s.expert.id,
        role,
      }) as const;
    const first = await send(writer, side(a, 'client'), 'chat', {
      clientMsgId: 'a-0',
      text: 'stored before',
    });
    // One turn: the first leaves alone, the rest share the next batch.
    const lead = send(writer, side(b, 'client'), 'chat', { clientMsgId: 'b-0', text: 'b0' });
    const rest = [
      send(writer, side(a, 'expert'), 'chat', { clientMsgId: 'a-1', text: 'a1' }),
      send(writer, side(b, 'expert'), 'chat', { clientMsgId: 'b-1', text: 'b1' }),
      send(writer, side(a, 'client'), 'chat', { clientMsgId: 'a-0', text: 'a retry' }),
      send(writer, side(b, 'expert'), 'chat', { clientMsgId: 'b-1', text: 'a copy' }),
      send(writer, side(a, 'client'), 'chat', { clientMsgId: 'a-2', text: 'a2' }),
      send(writer, side(b, 'client'), 'chat', { clientMsgId: 'b-2', text: 'b2' }),
    ];
    const [b0, a1, b1, retry, copy, a2, b2] = await Promise.all([lead, ...rest]);
    expect([a1, a2].map((r) => [r!.message.seq, r!.created])).toEqual([
      [2, true],
      [3, true],
    ]);
    expect([b0, b1, b2].map((r) => [r!.message.seq, r!.created])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(retry).toEqual({ message: first.message, created: false });
    expect(copy).toEqual({ message: b1!.message, created: false });
    for (const s of [a, b]) {
      const rows = await server.deps.db
        .selectFrom('chat_messages')
        .select(['seq', 'id', 'text'])
        .where('session_id', '=', s.session.id)
        .orderBy('seq')
        .execute();
      const answered = (s === a ? [first, a1, a2] : [b0, b1, b2]).map((r) => r!.message);
      expect(rows).toEqual(answered.map((m) => ({ seq: m.seq, id: m.id, text: m.text })));
      // Created messages once each; the retry's and the copy's stored messages once more.
      const sent = published.filter(([id]) => id === s.session.id).flatMap(([, ms]) => ms);
      expect(sent.filter((m) => m !== retry!.message && m !== copy!.message)).toEqual(answered);
      expect(sent.filter((m) => m === retry!.message || m === copy!.message)).toEqual([
        s === a ? retry!.message : copy!.message,
      ]);
    }
  });

  it('a node of the previous release, storing through hg_chat_send, numbers from the same count and sees the same copies', async () => {
    // During a rolling upgrade both functions run side by side (migration 023).
    const { writer } = recording();
    const s = await buildSession(server.deps);
    const client = { sessionId: s.session.id, userId: s.client.id, role: 'client' } as const;
    const oldSend = (clientMsgId: string, text: string) =>
      sql<{
        outcome: string;
        seq: number;
        stored_text: string | null;
      }>`select outcome, seq, stored_text from hg_chat_send(now(), ${[s.session.id]}::uuid[],
        ${['client']}::text[], ${[clientMsgId]}::text[], ${[text]}::text[], ${[randomUUID()]}::uuid[])`
        .execute(server.deps.db)
        .then((r) => r.rows);
    expect(
      (await send(writer, client, 'chat', { clientMsgId: 'n1', text: 'new one' })).message.seq,
    ).toBe(1);
    expect(await oldSend('o2', 'old two')).toEqual([
      { outcome: 'created', seq: 2, stored_text: null },
    ]);
    expect(await oldSend('n1', 'again')).toEqual([
      { outcome: 'existing', seq: 1, stored_text: 'new one' },
    ]);
    expect(await send(writer, client, 'chat', { clientMsgId: 'o2', text: 'again' })).toMatchObject({
      created: false,
      message: { seq: 2, text: 'old two' },
    });
    expect(
      (await send(writer, client, 'chat', { clientMsgId: 'n3', text: 'new three' })).message.seq,
    ).toBe(3);
  });

  it('stores text and client ids exactly as sent, whatever characters they hold', async () => {
    // A batch goes to PostgreSQL as array parameters: what would break an array literal —
    // quotes, backslashes, commas, braces, NULL, spaces, line breaks — must come back as sent.
    const { writer } = recording();
    const s = await buildSession(server.deps);
    const client = { sessionId: s.session.id, userId: s.client.id, role: 'client' } as const;
    const texts = [
      'NULL',
      'a,b',
      '{x}',
      '"quoted"',
      'back\\slash \\"both\\"',
      ' spaced ',
      'line\nbreak',
      'ünïcode ✓ 🕰',
      "it's",
    ];
    const sent = await Promise.all(
      texts.map((text, i) => send(writer, client, 'chat', { clientMsgId: `${text}#${i}`, text })),
    );
    expect(sent.map((r) => r.message.text)).toEqual(texts);
    const rows = await stored(s.session.id);
    expect(rows.map((r) => r.text)).toEqual(texts);
    expect(rows.map((r) => r.client_msg_id)).toEqual(texts.map((t, i) => `${t}#${i}`));
  });

  it('a batch is bounded by its messages and by their characters', async () => {
    const s = await buildSession(server.deps);
    const client = { sessionId: s.session.id, userId: s.client.id, role: 'client' } as const;
    const burst = async (limits: ChatWriterLimits, prefix: string) => {
      const { writer, published } = recording({ lanes: 1, ...limits });
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          send(writer, client, 'chat', {
            clientMsgId: `${prefix}${i}`,
            text: `ten chars${i}`.slice(0, 10),
          }),
        ),
      );
      return published.map(([, ms]) => ms.length);
    };
    // The first message leaves alone (nothing was queued before it); the rest wait for it.
    expect(await burst({ maxBatch: 3 }, 'n')).toEqual([1, 3, 3, 3]);
    expect(await burst({ maxBatchChars: 25 }, 'c')).toEqual([1, 2, 2, 2, 2, 1]);
    expect((await stored(s.session.id)).map((r) => r.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('one refused message does not fail the others of its batch', async () => {
    const { writer } = recording();
    const open = await buildSession(server.deps);
    const ended = await buildLiveSession(server.deps);
    const endedClient = {
      sessionId: ended.session.id,
      userId: ended.client.id,
      role: 'client',
    } as const;
    const before = await send(writer, endedClient, 'chat', {
      clientMsgId: 'z',
      text: 'just in time',
    });
    await endSession(server.deps, operator, ended.session.id, undefined);
    const [ok, closed, missing] = await Promise.allSettled([
      send(writer, { sessionId: open.session.id, userId: open.client.id, role: 'client' }, 'chat', {
        clientMsgId: 'a',
        text: 'fine',
      }),
      send(writer, endedClient, 'chat', { clientMsgId: 'b', text: 'too late' }),
      send(
        writer,
        {
          sessionId: '0190d9a0-0000-7000-8000-000000000000',
          userId: open.client.id,
          role: 'client',
        },
        'chat',
        { clientMsgId: 'c', text: 'nowhere' },
      ),
    ]);
    expect(ok).toMatchObject({
      status: 'fulfilled',
      value: { created: true, message: { seq: 1, text: 'fine' } },
    });
    expect(closed).toMatchObject({ status: 'rejected', reason: { code: 'session_ended' } });
    expect(missing).toMatchObject({ status: 'rejected', reason: { code: 'not_found' } });
    // Only the message stored before the end; its retry after the end is answered as stored.
    expect(await stored(ended.session.id)).toEqual([
      { seq: 1, sender_role: 'client', client_msg_id: 'z', text: 'just in time' },
    ]);
    expect(await send(writer, endedClient, 'chat', { clientMsgId: 'z', text: 'again' })).toEqual({
      message: before.message,
      created: false,
    });
    await expect(
      send(
        writer,
        { sessionId: open.session.id, userId: open.client.id, role: 'client' },
        'voice',
        { clientMsgId: 'd', text: 'x' },
      ),
    ).rejects.toMatchObject({ code: 'not_allowed_for_type' });
  });

  it('an answer that throws stops neither its batch’s other answers nor the lane', async () => {
    const { writer, published } = recording({ lanes: 1 });
    const s = await buildSession(server.deps);
    const client = { sessionId: s.session.id, userId: s.client.id, role: 'client' } as const;
    let thrown = 0;
    const throwing = {
      p: client,
      type: 'chat' as const,
      clientMsgId: 'boom',
      text: 'its sender is gone',
      sent: () => {
        thrown++;
        throw new Error('the socket is gone');
      },
      failed: () => undefined,
    };
    // Sent in one turn: the first goes alone, the other three share the next batch.
    const first = send(writer, client, 'chat', { clientMsgId: 'a', text: 'a' });
    writer.send(throwing);
    const rest = [
      send(writer, client, 'chat', { clientMsgId: 'b', text: 'b' }),
      send(writer, client, 'chat', { clientMsgId: 'c', text: 'c' }),
    ];
    expect((await Promise.all([first, ...rest])).map((r) => r.message.seq)).toEqual([1, 3, 4]);
    expect(thrown).toBe(1);
    expect(published.flatMap(([, ms]) => ms.map((m) => m.clientMsgId))).toEqual([
      'a',
      'boom',
      'b',
      'c',
    ]);
    expect(
      (await send(writer, client, 'chat', { clientMsgId: 'd', text: 'later' })).message.seq,
    ).toBe(5);
  });
});
