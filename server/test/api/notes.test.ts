import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildLiveSession, buildSession, operator } from '../../../test-support/factories.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { endSession } from '../../src/sessions/service.ts';

/** F3: the expert's summary after the session, read by both; each side's private notes, read by no one else. */
describeOnDatabases('session summary and private notes', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  /** The summary (`summary`) or one's private notes (`notes`) of session `id`, as `joinToken`'s holder. */
  const doc = (what: 'summary' | 'notes', id: string, joinToken: string) => {
    const api = clientFor(server.url, { joinToken });
    return {
      read: () => api.call(what === 'summary' ? 'getSummary' : 'getMyNotes', { params: { id } }),
      write: (body: unknown) =>
        api.call(what === 'summary' ? 'putSummary' : 'putMyNotes', {
          params: { id },
          body: body as never,
        }),
    };
  };
  const code = async (p: Promise<unknown>) => (await refusal(p)).code;

  it('the expert writes the summary after the session; both read it; rewriting replaces it; the audit trail records it', async () => {
    const s = await buildLiveSession(server.deps);
    const client = doc('summary', s.session.id, s.links.client.token);
    const expert = doc('summary', s.session.id, s.links.expert.token);
    // Not while it is live.
    expect(await code(expert.write({ text: 'too soon' }))).toBe('invalid_transition');
    await endSession(server.deps, operator, s.session.id, undefined);
    expect(await client.read()).toEqual({
      sessionId: s.session.id,
      kind: 'summary',
      text: '',
      updatedAt: null,
    });
    const put = await expert.write({
      text: 'Saturn return: <b>patience</b>.\nNext: the 7th house.',
    });
    expect(put).toMatchObject({
      text: 'Saturn return: <b>patience</b>.\nNext: the 7th house.',
      updatedAt: '2026-03-02T12:00:00.000Z',
    });
    expect((await client.read()).text).toBe(
      'Saturn return: <b>patience</b>.\nNext: the 7th house.',
    );
    await expert.write({ text: 'Rewritten.' });
    expect((await client.read()).text).toBe('Rewritten.');
    // The client does not write it; bad input changes nothing.
    expect(await code(client.write({ text: 'mine now' }))).toBe('forbidden');
    expect(await code(expert.write({ text: 'x'.repeat(10_001) }))).toBe('validation_failed');
    expect(await code(expert.write({ text: 'ok', html: true }))).toBe('validation_failed');
    expect((await expert.read()).text).toBe('Rewritten.');
    const events = await server.deps.db
      .selectFrom('session_events')
      .select('kind')
      .where('session_id', '=', s.session.id)
      .where('kind', '=', 'summary_written')
      .execute();
    expect(events).toHaveLength(2);
  });

  it('a session that never took place has no summary to write', async () => {
    const s = await buildSession(server.deps);
    const expert = doc('summary', s.session.id, s.links.expert.token);
    expect(await code(expert.write({ text: 'x' }))).toBe('invalid_transition');
  });

  it('private notes: each side its own, before and after; the other side never sees them; empty clears', async () => {
    const s = await buildSession(server.deps);
    const client = doc('notes', s.session.id, s.links.client.token);
    const expert = doc('notes', s.session.id, s.links.expert.token);
    expect((await client.write({ text: 'ask about the move' })).text).toBe('ask about the move');
    expect((await expert.write({ text: 'client seems anxious' })).text).toBe(
      'client seems anxious',
    );
    expect(await client.read()).toMatchObject({ kind: 'private', text: 'ask about the move' });
    expect(await expert.read()).toMatchObject({ kind: 'private', text: 'client seems anxious' });
    expect(await client.write({ text: '  ' })).toMatchObject({ text: '', updatedAt: null });
    expect((await expert.read()).text).toBe('client seems anxious');
    const rows = await server.deps.db
      .selectFrom('session_notes')
      .selectAll()
      .where('session_id', '=', s.session.id)
      .execute();
    expect(rows.map((r) => r.kind)).toEqual(['private']);
  });
});
