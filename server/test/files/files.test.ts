import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  buildApiKey,
  buildLiveSession,
  buildSession,
  buildSignedIn,
  operator,
} from '../../../test-support/factories.ts';
import { connectRoom, nextEvent } from '../../../test-support/realtime.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';
import { filesDir } from '../../src/files/storage.ts';
import { ELF, PNG, pngStream, upload } from '../../../test-support/files.ts';
import { endSession } from '../../src/sessions/service.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const MB10 = 10 * 1024 * 1024;

/** D9: files in a session — only the two participants, signed links, hard limits, nothing half-written. */
describeOnDatabases('files in a session', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(target, { FILE_QUOTA_BYTES: String(MB10 + 2000) });
  });
  afterAll(() => server?.close());

  const as = (token: string) => ({ 'x-join-token': token });
  /** The files of session `id` and a link to one, through the SDK as `joinToken`'s holder. */
  const filesOf = (id: string, joinToken: string) => {
    const api = clientFor(server.url, { joinToken });
    return {
      list: async () => (await api.call('listFiles', { params: { id } })).items,
      link: (fileId: string) => api.call('fileLink', { params: { id, fileId }, body: {} }),
    };
  };
  const leftovers = async () => ({
    uploading: (
      await server.deps.db
        .selectFrom('files')
        .select('id')
        .where('state', '=', 'uploading')
        .execute()
    ).length,
    spool: await readdir(join(filesDir(server.deps.config), 'spool')).catch(() => []),
  });
  const objectsOf = (sessionId: string) =>
    readdir(join(filesDir(server.deps.config), 'objects', 'sessions', sessionId)).catch(
      () => [] as string[],
    );

  it('a participant shares a file: the room hears of it, both list it, each fetches it by a signed link', async () => {
    const s = await buildLiveSession(server.deps, { type: 'video' });
    const expertRoom = await connectRoom(server.url, s.links.expert.token);
    try {
      const heard = nextEvent(expertRoom.socket, 'file:shared');
      const up = await upload(
        server.url,
        s.session.id,
        as(s.links.client.token),
        PNG,
        'natal <chart>.png',
        'application/octet-stream',
      );
      expect(up.status, JSON.stringify(up.body)).toBe(201);
      expect(up.body).toMatchObject({
        sessionId: s.session.id,
        name: 'natal <chart>.png',
        mime: 'image/png',
        size: PNG.length,
        uploadedBy: 'client',
      });
      expect(await heard).toEqual(up.body);
      for (const token of [s.links.client.token, s.links.expert.token]) {
        expect(await filesOf(s.session.id, token).list()).toEqual([up.body]);
      }
      const link = await filesOf(s.session.id, s.links.expert.token).link(up.body.id);
      expect(Date.parse(link.expiresAt) - (await server.clock.now()).getTime()).toBe(3_600_000);
      const res = await fetch(link.url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename*=UTF-8''${encodeURIComponent('natal <chart>.png')}`,
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const audit = await server.deps.db
        .selectFrom('session_events')
        .select(['kind', 'actor_role'])
        .where('session_id', '=', s.session.id)
        .where('kind', '=', 'file_shared')
        .execute();
      expect(audit).toEqual([{ kind: 'file_shared', actor_role: 'client' }]);
      // After the session both still list and fetch it (D9: it survives a reload, and the end).
      await endSession(server.deps, operator, s.session.id, undefined);
      expect(await filesOf(s.session.id, s.links.expert.token).list()).toHaveLength(1);
      expect(
        (await upload(server.url, s.session.id, as(s.links.client.token), PNG)).body.error.code,
      ).toBe('session_ended');
    } finally {
      expertRoom.socket.close();
    }
  });

  it('10 MB is the limit: 10 MB + 1 byte is 413, declared or streamed; exactly 10 MB is shared; nothing is left of a refusal', async () => {
    const s = await buildSession(server.deps);
    const token = as(s.links.client.token);
    const declared = await upload(
      server.url,
      s.session.id,
      token,
      Buffer.concat([PNG.subarray(0, 8), Buffer.alloc(MB10 + 1 - 8)]),
    );
    expect(declared.status).toBe(413);
    expect(declared.body.error).toMatchObject({
      code: 'payload_too_large',
      details: { max: MB10 },
    });
    const streamed = await upload(server.url, s.session.id, token, pngStream(MB10 + 1));
    expect(streamed.status).toBe(413);
    expect(await leftovers()).toEqual({ uploading: 0, spool: [] });
    expect(await objectsOf(s.session.id)).toEqual([]);
    const exact = await upload(server.url, s.session.id, token, pngStream(MB10));
    expect(exact.status, JSON.stringify(exact.body)).toBe(201);
    expect(exact.body.size).toBe(MB10);
    expect(await objectsOf(s.session.id)).toEqual([exact.body.id]);
    // The quota (10 MB + 2,000 bytes here) counts what the user has shared.
    const over = await upload(server.url, s.session.id, token, Buffer.concat([PNG, PNG, PNG, PNG]));
    expect(over.body.error?.code).toBe('quota_exceeded');
    // Streamed with no length declared, the quota is decided once the size is known.
    const streamedOver = await upload(server.url, s.session.id, token, pngStream(2432));
    expect(streamedOver.body.error?.code).toBe('quota_exceeded');
    expect(await leftovers()).toEqual({ uploading: 0, spool: [] });
    // The other participant's quota is their own.
    expect((await upload(server.url, s.session.id, as(s.links.expert.token), PNG)).status).toBe(
      201,
    );
  });

  it('the content decides the type: an executable named .png is refused, an empty file too, and nothing is kept', async () => {
    const s = await buildSession(server.deps);
    const token = as(s.links.client.token);
    const elf = await upload(server.url, s.session.id, token, ELF, 'photo.png', 'image/png');
    expect(elf).toMatchObject({ status: 415, body: { error: { code: 'file_type_not_allowed' } } });
    expect(
      (await upload(server.url, s.session.id, token, new Uint8Array(0), 'empty.txt', 'text/plain'))
        .body.error.code,
    ).toBe('file_type_not_allowed');
    const text = await upload(
      server.url,
      s.session.id,
      token,
      new TextEncoder().encode('<script>alert(1)</script> notes'),
      'notes.html',
      'text/html',
    );
    expect(text.body).toMatchObject({ mime: 'text/plain' });
    expect(await leftovers()).toEqual({ uploading: 0, spool: [] });
    expect(await objectsOf(s.session.id)).toEqual([text.body.id]);
    for (const name of ['../../etc/passwd', 'a\nb.txt', 'x'.repeat(201), '']) {
      expect((await upload(server.url, s.session.id, token, PNG, name)).body.error.code).toBe(
        'validation_failed',
      );
    }
  });

  it('only the two participants: a stranger, another session’s participant, an operator and no one are refused', async () => {
    const s = await buildSession(server.deps);
    const up = await upload(server.url, s.session.id, as(s.links.client.token), PNG);
    const other = await buildSession(server.deps);
    const stranger = await buildSignedIn(server, 'client');
    const admin = await buildSignedIn(server, 'admin');
    const key = await buildApiKey(server.deps);
    const callers: [string, Record<string, string>, string][] = [
      ['another session’s client', as(other.links.client.token), 'forbidden'],
      ['a signed-in stranger', stranger.headers, 'forbidden'],
      ['an admin', admin.headers, 'forbidden'],
      ['an API key', { authorization: `Bearer ${key}` }, 'unauthenticated'],
      ['no one', {}, 'unauthenticated'],
    ];
    // Raw HTTP here: the matrix is about the credential each caller presents.
    for (const [who, headers, code] of callers) {
      expect([
        who,
        (await upload(server.url, s.session.id, headers, PNG)).body.error?.code,
      ]).toEqual([who, code]);
      expect([
        who,
        errorCode(
          await call(server.url, 'GET', `/api/sessions/${s.session.id}/files`, { headers }),
        ),
      ]).toEqual([who, code]);
      expect([
        who,
        errorCode(
          await call(server.url, 'POST', `/api/sessions/${s.session.id}/files/${up.body.id}/link`, {
            headers,
            body: {},
          }),
        ),
      ]).toEqual([who, code]);
    }
    // The signed-in participant (not only the link) may; a file of another session is not found through this one.
    const client = await buildSignedIn(server, 'client');
    const mine = await buildSession(server.deps, { client: client.user });
    const ids = { id: mine.session.id };
    expect((await client.api.call('listFiles', { params: ids })).items).toEqual([]);
    const theirs = client.api.call('fileLink', {
      params: { ...ids, fileId: up.body.id },
      body: {},
    });
    expect((await refusal(theirs)).code).toBe('not_found');
  });

  it('a link is for one file and one user, for an hour: altered, re-addressed or expired, it is refused', async () => {
    const s = await buildSession(server.deps);
    const [a, b] = [
      await upload(server.url, s.session.id, as(s.links.client.token), PNG),
      await upload(server.url, s.session.id, as(s.links.client.token), PNG),
    ];
    const { url: link } = await filesOf(s.session.id, s.links.client.token).link(a.body.id);
    const code = async (url: string) =>
      ((await (await fetch(url)).json()) as { error: { code: string } }).error.code;
    expect(await code(link.replace(a.body.id, b.body.id))).toBe('file_link_invalid');
    expect(await code(link.replace(s.client.id, s.expert.id))).toBe('file_link_invalid');
    const exp = Number(new URL(link).searchParams.get('expires'));
    expect(await code(link.replace(`expires=${exp}`, `expires=${exp + 3600}`))).toBe(
      'file_link_invalid',
    );
    expect(await code(link.replace(/sig=[^&]+/, 'sig=x'))).toBe('validation_failed');
    expect((await fetch(link)).status).toBe(200);
    server.clock.advance(3_601_000);
    const expired = (await (await fetch(link)).json()) as {
      error: { code: string; details: unknown };
    };
    expect(expired.error).toMatchObject({
      code: 'file_link_invalid',
      details: { reason: 'expired' },
    });
  });

  it('an upload whose process died is removed by the sweep, row, spool and object', async () => {
    const s = await buildSession(server.deps);
    const now = await server.clock.now();
    // What a process killed mid-upload leaves: the row and a partly written spool file.
    const id = server.deps.ids.uuid();
    await server.deps.db
      .insertInto('files')
      .values({
        id,
        session_id: s.session.id,
        uploader_id: s.client.id,
        name: 'half.png',
        created_at: now,
      })
      .execute();
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(filesDir(server.deps.config), 'spool'), { recursive: true });
    await writeFile(join(filesDir(server.deps.config), 'spool', id), PNG);
    await runSweeps(server.deps);
    expect((await leftovers()).uploading).toBe(1);
    server.clock.advance(900_001);
    await runSweeps(server.deps);
    expect(await leftovers()).toEqual({ uploading: 0, spool: [] });
  });
});
