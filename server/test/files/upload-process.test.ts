import { randomBytes } from 'node:crypto';
import { readFile, readdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSession } from '../../../test-support/factories.ts';
import { PNG, upload } from '../../../test-support/files.ts';
import { createDatabase, dropDatabase } from '../../../test-support/postgres-admin.ts';
import { withStarts } from '../../../test-support/budgets.ts';
import { startNode, type NodeProcess } from '../../../test-support/processes.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { connectPostgres, type DatabaseHandle } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { filesDir } from '../../src/files/storage.ts';
import { databaseClock } from '../../src/platform/clock.ts';
import type { Deps } from '../../src/platform/context.ts';
import { randomIds } from '../../src/platform/ids.ts';

const url = process.env.TEST_DATABASE_URL;
const GB = 1024 ** 3;

/** Peak resident memory of a process, in bytes (Linux: VmHWM). */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * Streams up to `total` bytes (a PNG's first bytes, then zeros) with no declared length, as fast
 * as the connection takes them, until the server answers. Resolves with its status and how much
 * was sent by then.
 */
function pushUntilAnswered(
  base: string,
  path: string,
  token: string,
  total: number,
  declare = false,
): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(`${base}${path}`, {
      method: 'POST',
      headers: {
        'x-join-token': token,
        'content-type': 'image/png',
        ...(declare ? { 'content-length': String(total) } : { 'transfer-encoding': 'chunked' }),
      },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode!, sent });
    });
    // The server closes the connection once it has answered: writes after that fail, as they should.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const chunk = Buffer.alloc(256 * 1024);
    PNG.copy(chunk, 0, 0, 8);
    const write = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(sent === chunk.length ? chunk : chunk.fill(0, 0, 8)))
          return void req.once('drain', write);
      }
      if (!answered) req.end();
    };
    if (declare) req.flushHeaders();
    else write();
  });
}

/**
 * D9 in a real server process on the PostgreSQL server: a 1 GB upload is refused while the
 * server's memory stays flat, and a process killed mid-upload leaves nothing once a sweeper
 * has come by.
 */
describe.runIf(url)('uploads against a real server process', () => {
  const dbName = `hg_files_${randomBytes(4).toString('hex')}`;
  let dataDir: string;
  let database: DatabaseHandle;
  let deps: Deps;
  let node: NodeProcess | undefined;
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: `${new URL(dbName, `${url!.replace(/\/[^/]*$/, '')}/`)}`,
    DATA_DIR: dataDir,
    SWEEP_INTERVAL_MS: '100',
    ...extra,
  });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hg-files-'));
    database = connectPostgres(await createDatabase(url!, dbName), 5);
    await migrate(database.db);
    ({ deps } = await buildApp({
      config: loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir }),
      database,
      clock: databaseClock,
      ids: randomIds,
    }));
  });
  afterAll(async () => {
    await node?.stop('SIGKILL');
    await database?.close();
    await dropDatabase(url!, dbName);
    await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'a 1 GB upload is refused with 413 as soon as it passes 10 MB, and the server’s memory grows by less than 20 MB',
    async () => {
      node = await startNode(env(), 'files node');
      const s = await buildSession(deps);
      const path = `/api/sessions/${s.session.id}/files?name=big.png`;
      // Warm the paths up (a shared file, a refused one), then take the peak.
      expect(
        (await upload(node.url, s.session.id, { 'x-join-token': s.links.client.token }, PNG))
          .status,
      ).toBe(201);
      expect(
        (await pushUntilAnswered(node.url, path, s.links.client.token, 11 * 1024 * 1024)).status,
      ).toBe(413);
      const before = await peakRss(node.pid);

      const streamed = await pushUntilAnswered(node.url, path, s.links.client.token, GB);
      expect(streamed.status).toBe(413);
      const declared = await pushUntilAnswered(node.url, path, s.links.client.token, GB, true);
      expect(declared).toEqual({ status: 413, sent: 0 });
      const grew = (await peakRss(node.pid)) - before;
      console.log(
        `[files] 1 GB refused after ${(streamed.sent / 1024 ** 2).toFixed(1)} MB sent; peak RSS grew ${(grew / 1024 ** 2).toFixed(1)} MB`,
      );
      expect(streamed.sent).toBeLessThan(100 * 1024 ** 2);
      expect(grew).toBeLessThan(20 * 1024 ** 2);
      expect(
        await deps.db
          .selectFrom('files')
          .select('state')
          .where('session_id', '=', s.session.id)
          .execute(),
      ).toEqual([{ state: 'ready' }]);
    },
    withStarts(1),
  );

  it(
    'a process killed mid-upload leaves nothing behind once a sweeper has come by',
    async () => {
      const s = await buildSession(deps);
      // An upload under way: 3 MB sent, the rest still to come.
      const req = request(`${node!.url}/api/sessions/${s.session.id}/files?name=slow.png`, {
        method: 'POST',
        headers: {
          'x-join-token': s.links.client.token,
          'content-type': 'image/png',
          'transfer-encoding': 'chunked',
        },
      });
      req.on('error', () => undefined);
      req.write(Buffer.concat([PNG, Buffer.alloc(3 * 1024 * 1024)]));
      const spool = join(filesDir({ DATA_DIR: dataDir }), 'spool');
      let row: { id: string } | undefined;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
        row = await deps.db
          .selectFrom('files')
          .select('id')
          .where('session_id', '=', s.session.id)
          .where('state', '=', 'uploading')
          .executeTakeFirst();
        if (row && ((await stat(join(spool, row.id)).catch(() => null))?.size ?? 0) > 1024 * 1024)
          break;
        await new Promise((r) => setTimeout(r, 50)); // polling the server's progress, which sends no event
      }
      expect(row).toBeDefined();
      await node!.stop('SIGKILL');
      req.destroy();
      expect((await stat(join(spool, row!.id))).size).toBeGreaterThan(0);

      // Restarted (here with a short staleness, so the test need not wait 15 minutes): its sweep clears what the dead upload left.
      node = await startNode(env({ FILE_UPLOAD_STALE_S: '1' }), 'files node, restarted');
      for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
        if (
          !(await deps.db
            .selectFrom('files')
            .select('id')
            .where('id', '=', row!.id)
            .executeTakeFirst())
        )
          break;
        await new Promise((r) => setTimeout(r, 100)); // waiting for the other process's sweep, which sends no event
      }
      expect(
        await deps.db
          .selectFrom('files')
          .select('id')
          .where('session_id', '=', s.session.id)
          .execute(),
      ).toEqual([]);
      expect(await readdir(spool)).toEqual([]);
      expect(
        await readdir(
          join(filesDir({ DATA_DIR: dataDir }), 'objects', 'sessions', s.session.id),
        ).catch(() => []),
      ).toEqual([]);
    },
    withStarts(1),
  );
});
