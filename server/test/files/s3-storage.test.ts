import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { pgliteTarget } from '../../../test-support/databases.ts';
import { startFakeS3 } from '../../../test-support/fake-s3.ts';
import { buildSession } from '../../../test-support/factories.ts';
import { clientFor } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';
import { PNG, pngStream, upload } from '../../../test-support/files.ts';

/** D9 on an S3-compatible store: the same flow, the bytes in the bucket, nothing left there by a refusal or a dead upload. */
describe('files on S3-compatible storage', () => {
  let s3: Awaited<ReturnType<typeof startFakeS3>>;
  let server: TestServer;
  beforeAll(async () => {
    s3 = await startFakeS3();
    server = await startServer(pgliteTarget, { ...s3.env, FILE_MAX_BYTES: String(1024 * 1024) });
  });
  afterAll(async () => {
    await server?.close();
    await s3?.close();
  });
  const as = (token: string) => ({ 'x-join-token': token });

  it('an upload lands in the bucket and comes back through a signed link', async () => {
    const s = await buildSession(server.deps);
    const up = await upload(server.url, s.session.id, as(s.links.client.token), PNG);
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    expect(await s3.keys()).toContain(`sessions/${s.session.id}/${up.body.id}`);
    const link = await clientFor(server.url, { joinToken: s.links.expert.token }).call('fileLink', {
      params: { id: s.session.id, fileId: up.body.id },
      body: {},
    });
    const res = await fetch(link.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('a refused upload (too large, wrong type) puts nothing in the bucket', async () => {
    const s = await buildSession(server.deps);
    const before = await s3.keys();
    expect(
      (await upload(server.url, s.session.id, as(s.links.client.token), pngStream(1024 * 1024 + 1)))
        .status,
    ).toBe(413);
    expect(
      (
        await upload(
          server.url,
          s.session.id,
          as(s.links.client.token),
          Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]),
        )
      ).status,
    ).toBe(415);
    expect(await s3.keys()).toEqual(before);
    expect(
      await server.deps.db
        .selectFrom('files')
        .select('id')
        .where('session_id', '=', s.session.id)
        .execute(),
    ).toEqual([]);
  });

  it('an upload that died after its PUT is removed from the bucket by the stale-upload sweep', async () => {
    const s = await buildSession(server.deps);
    const id = server.deps.ids.uuid();
    await server.deps.db
      .insertInto('files')
      .values({
        id,
        session_id: s.session.id,
        uploader_id: s.client.id,
        name: 'half.png',
        created_at: await server.clock.now(),
      })
      .execute();
    const dir = await mkdtemp(join(tmpdir(), 'hg-put-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const tmp = join(dir, 'f');
    await writeFile(tmp, PNG);
    await server.deps.storage.put(`sessions/${s.session.id}/${id}`, tmp, PNG.length, 'image/png');
    expect(await s3.keys()).toContain(`sessions/${s.session.id}/${id}`);
    server.clock.advance(900_001);
    await runSweeps(server.deps);
    expect(await s3.keys()).not.toContain(`sessions/${s.session.id}/${id}`);
    expect(
      await server.deps.db.selectFrom('files').select('id').where('id', '=', id).execute(),
    ).toEqual([]);
    await expect(server.deps.storage.get(`sessions/${s.session.id}/${id}`)).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('a store that refuses the PUT fails the upload and leaves no record', async () => {
    const wrong = await startServer(pgliteTarget, { ...s3.env, S3_BUCKET: 'no-such-bucket' });
    try {
      const s = await buildSession(wrong.deps);
      const r = await upload(wrong.url, s.session.id, as(s.links.client.token), PNG);
      expect(r.status, JSON.stringify(r.body)).toBe(500);
      expect(r.body.error.code).toBe('internal');
      expect(await wrong.deps.db.selectFrom('files').select('id').execute()).toEqual([]);
    } finally {
      await wrong.close();
    }
  });

  // s3rver checks the access key but not the SigV4 signature itself (aws4fetch makes it): a key it does not know stands for a refused signature.
  it('a store that refuses every request: the upload fails, nothing is listed, and its row stays only as the sweep’s marker', async () => {
    const wrong = await startServer(pgliteTarget, { ...s3.env, S3_ACCESS_KEY_ID: 'NOT-A-KEY' });
    try {
      const s = await buildSession(wrong.deps);
      const r = await upload(wrong.url, s.session.id, as(s.links.client.token), PNG);
      expect(r.status).toBe(500);
      expect(
        (
          await clientFor(wrong.url, { joinToken: s.links.client.token }).call('listFiles', {
            params: { id: s.session.id },
          })
        ).items,
      ).toEqual([]);
      expect(await wrong.deps.db.selectFrom('files').select('state').execute()).toEqual([
        { state: 'uploading' },
      ]);
      wrong.clock.advance(900_001);
      expect((await runSweeps(wrong.deps)).staleUploads).toEqual({ processed: 0, failed: 1 });
      expect(await wrong.deps.db.selectFrom('files').select('state').execute()).toEqual([
        { state: 'uploading' },
      ]);
    } finally {
      await wrong.close();
    }
  });
});
