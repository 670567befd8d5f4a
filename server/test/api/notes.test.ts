import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildLiveSession, buildSession, operator } from '../../../test-support/factories.ts';
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';
import { endSession } from '../../src/sessions/service.ts';

/** F3: the expert's summary after the session, read by both; each side's private notes, read by no one else. */
describeOnDatabases('session summary and private notes', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  const as = (token: string) => ({ 'x-join-token': token });
  const api = (method: string, path: string, token: string, body?: unknown) =>
    call(server.url, method, path, { headers: as(token), ...(body !== undefined && { body }) });

  it('the expert writes the summary after the session; both read it; rewriting replaces it; the audit trail records it', async () => {
    const s = await buildLiveSession(server.deps);
    const [client, expert] = [s.links.client.token, s.links.expert.token];
    const path = `/api/sessions/${s.session.id}/summary`;
    // Not while it is live.
    expect(errorCode(await api('PUT', path, expert, { text: 'too soon' }))).toBe(
      'invalid_transition',
    );
    await endSession(server.deps, operator, s.session.id, undefined);
    expect((await api('GET', path, client)).body).toEqual({
      sessionId: s.session.id,
      kind: 'summary',
      text: '',
      updatedAt: null,
    });
    const put = await api('PUT', path, expert, {
      text: 'Saturn return: <b>patience</b>.\nNext: the 7th house.',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({
      text: 'Saturn return: <b>patience</b>.\nNext: the 7th house.',
      updatedAt: '2026-03-02T12:00:00.000Z',
    });
    expect((await api('GET', path, client)).body.text).toBe(
      'Saturn return: <b>patience</b>.\nNext: the 7th house.',
    );
    await api('PUT', path, expert, { text: 'Rewritten.' });
    expect((await api('GET', path, client)).body.text).toBe('Rewritten.');
    // The client does not write it; bad input changes nothing.
    expect(errorCode(await api('PUT', path, client, { text: 'mine now' }))).toBe('forbidden');
    expect(errorCode(await api('PUT', path, expert, { text: 'x'.repeat(10_001) }))).toBe(
      'validation_failed',
    );
    expect(errorCode(await api('PUT', path, expert, { text: 'ok', html: true }))).toBe(
      'validation_failed',
    );
    expect((await api('GET', path, expert)).body.text).toBe('Rewritten.');
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
    expect(
      errorCode(
        await api('PUT', `/api/sessions/${s.session.id}/summary`, s.links.expert.token, {
          text: 'x',
        }),
      ),
    ).toBe('invalid_transition');
  });

  it('private notes: each side its own, before and after; the other side never sees them; empty clears', async () => {
    const s = await buildSession(server.deps);
    const [client, expert] = [s.links.client.token, s.links.expert.token];
    const path = `/api/sessions/${s.session.id}/notes`;
    expect((await api('PUT', path, client, { text: 'ask about the move' })).status).toBe(200);
    expect((await api('PUT', path, expert, { text: 'client seems anxious' })).status).toBe(200);
    expect((await api('GET', path, client)).body).toMatchObject({
      kind: 'private',
      text: 'ask about the move',
    });
    expect((await api('GET', path, expert)).body).toMatchObject({
      kind: 'private',
      text: 'client seems anxious',
    });
    expect((await api('PUT', path, client, { text: '  ' })).body).toMatchObject({
      text: '',
      updatedAt: null,
    });
    expect((await api('GET', path, expert)).body.text).toBe('client seems anxious');
    const rows = await server.deps.db
      .selectFrom('session_notes')
      .selectAll()
      .where('session_id', '=', s.session.id)
      .execute();
    expect(rows.map((r) => r.kind)).toEqual(['private']);
  });
});
