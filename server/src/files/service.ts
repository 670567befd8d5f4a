import { createHmac, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SessionFile } from '@hourglass/protocol';
import { sql } from 'kysely';
import type { Database } from '../db/connect.ts';
import type { Deps, Principal } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { participantRole } from '../sessions/access.ts';
import { eventsRepo, sessionsRepo, type SessionRow } from '../sessions/repository.ts';
import { SNIFF_BYTES, sniff } from './sniff.ts';
import { spoolPath } from './storage.ts';

/** How long a download link works (D9). */
export const LINK_VALID_S = 3600;
/** Files can be shared while the session is to come or under way; read at any time after. */
const SHARING_STATES = ['accepted', 'booked', 'open', 'live'];

const objectKey = (f: { id: string; session_id: string }) => `sessions/${f.session_id}/${f.id}`;

type FileRow = {
  id: string;
  session_id: string;
  uploader_id: string;
  name: string;
  mime: string | null;
  size: string | number;
  created_at: Date;
};
function present(f: FileRow, s: Pick<SessionRow, 'client_id'>): SessionFile {
  return {
    id: f.id,
    sessionId: f.session_id,
    name: f.name,
    mime: f.mime!,
    size: Number(f.size),
    uploadedBy: f.uploader_id === s.client_id ? 'client' : 'expert',
    createdAt: f.created_at.toISOString(),
  };
}

/** Only the two participants, by join link or signed in: not even an operator reads a session's files. */
async function asParticipant(deps: Deps, principal: Principal, sessionId: string) {
  const s = (await sessionsRepo.byId(deps.db, sessionId)) ?? fail('not_found', 'No such session.');
  const role =
    participantRole(principal, s) ??
    fail('forbidden', "A session's files are its two participants' only.");
  return { s, role, userId: role === 'client' ? s.client_id : s.expert_id };
}

const usedBytes = async (db: Database, userId: string) =>
  Number(
    (
      await db
        .selectFrom('files')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('size'), sql<string>`0`).as('n'))
        .where('uploader_id', '=', userId)
        .executeTakeFirstOrThrow()
    ).n,
  );

/**
 * Counts the bytes going by and refuses the stream the moment it passes `max`; holds back the
 * first SNIFF_BYTES until it can tell what the file is, and refuses a type not allowed. Never
 * holds more than that: the rest flows straight on to the spool file.
 */
function limitAndSniff(max: number, found: { mime: string | null; size: number }) {
  let head: Buffer[] = [];
  let headBytes = 0;
  const decide = (t: Transform) => {
    const bytes = Buffer.concat(head);
    head = [];
    found.mime = sniff(bytes);
    if (!found.mime) throw new AppError('file_type_not_allowed');
    t.push(bytes);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      found.size += chunk.length;
      if (found.size > max)
        return done(new AppError('payload_too_large', `Files are at most ${max} bytes.`, { max }));
      try {
        if (found.mime) return done(null, chunk);
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes >= SNIFF_BYTES) decide(this);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        if (!found.mime) decide(this);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/**
 * D9: a participant shares a file in the session. The row comes first (`uploading`), then the
 * bytes are streamed through the limit and the sniffer to a spool file, handed to the store,
 * and the row made `ready` — with the quota checked under a per-user lock — in one
 * transaction that also tells the room (`file:shared`) and writes the audit event. Any
 * failure removes the row, the object and the spool: nothing is left half-written. A process
 * that dies mid-way leaves an `uploading` row, which the stale-upload sweep clears.
 */
export async function uploadFile(
  deps: Deps,
  principal: Principal,
  sessionId: string,
  upload: { name: string; declaredLength: number | undefined; body: Readable },
): Promise<SessionFile> {
  const { name, declaredLength, body } = upload;
  const { s, userId } = await asParticipant(deps, principal, sessionId);
  if (!SHARING_STATES.includes(s.state))
    fail(
      s.state === 'ended' ? 'session_ended' : 'invalid_transition',
      'Files are shared before or during the session.',
      { state: s.state, command: 'share_file' },
    );
  const max = deps.config.FILE_MAX_BYTES;
  // Refused before a byte is read when the length is declared.
  if (declaredLength !== undefined && declaredLength > max)
    fail('payload_too_large', `Files are at most ${max} bytes.`, { max });
  const quota = deps.config.FILE_QUOTA_BYTES;
  if ((await usedBytes(deps.db, userId)) + (declaredLength ?? 1) > quota)
    fail('quota_exceeded', undefined, { quota });

  const now = await deps.clock.now(deps.db);
  const row = await deps.db
    .insertInto('files')
    .values({ id: deps.ids.uuid(), session_id: s.id, uploader_id: userId, name, created_at: now })
    .returning(['id', 'session_id'])
    .executeTakeFirstOrThrow();
  const spool = spoolPath(deps.config, row.id);
  try {
    const found = { mime: null as string | null, size: 0 };
    await mkdir(dirname(spool), { recursive: true });
    await pipeline(body, limitAndSniff(max, found), createWriteStream(spool));
    if (found.size === 0) fail('file_type_not_allowed', 'The file is empty.');
    await deps.storage.put(objectKey(row), spool, found.size, found.mime!);
    return await inTransaction(deps, async (tx) => {
      const { db: trx, now: at, outbox } = tx;
      // One upload of a user at a time passes this point: the quota cannot be overrun by a race.
      // This file's row still says 0 bytes, so its size is added here.
      await sql`select pg_advisory_xact_lock(hashtext(${userId}))`.execute(trx);
      if ((await usedBytes(trx, userId)) + found.size > quota)
        fail('quota_exceeded', undefined, { quota });
      const ready = await trx
        .updateTable('files')
        .set({ state: 'ready', mime: found.mime, size: found.size })
        .where('id', '=', row.id)
        .where('state', '=', 'uploading')
        .returningAll()
        .executeTakeFirst();
      // Gone: the stale-upload sweep took it for dead (an upload slower than FILE_UPLOAD_STALE_S).
      if (!ready) return fail('internal', 'The upload took too long.');
      const file = present(ready, s);
      await eventsRepo.append(trx, deps.ids, {
        sessionId: s.id,
        at,
        actor: { id: userId, role: file.uploadedBy },
        kind: 'file_shared',
        data: { fileId: file.id, name, mime: file.mime, size: file.size },
      });
      outbox.push({ type: 'file.shared', sessionId: s.id, file });
      return file;
    });
  } catch (err) {
    await discard(deps, row);
    // A client that went away mid-upload is not an error of ours.
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE')
      throw new AppError('validation_failed', 'The upload was cut off.');
    throw err;
  } finally {
    await rm(spool, { force: true });
  }
}

/**
 * Removes an unfinished upload: its object (if it got that far), then its row. If the store
 * cannot confirm the object is gone, the `uploading` row stays as the marker that the sweep
 * tries again from (it is never listed or fetched); the caller's own error is what is answered.
 */
async function discard(deps: Deps, f: { id: string; session_id: string }): Promise<boolean> {
  try {
    await deps.storage.delete(objectKey(f));
  } catch (err) {
    deps.log.warn(
      { err, fileId: f.id },
      'could not remove an unfinished upload; the sweep will retry',
    );
    return false;
  }
  await deps.db
    .deleteFrom('files')
    .where('id', '=', f.id)
    .where('state', '=', 'uploading')
    .execute();
  return true;
}

/** The session's files, oldest first. They stay after the session, for both to fetch again (D9: they survive a reload). */
export async function listFiles(deps: Deps, principal: Principal, sessionId: string) {
  const { s } = await asParticipant(deps, principal, sessionId);
  const rows = await deps.db
    .selectFrom('files')
    .selectAll()
    .where('session_id', '=', s.id)
    .where('state', '=', 'ready')
    .orderBy('id')
    .execute();
  return { items: rows.map((f) => present(f, s)) };
}

/** The server's own key for signing links, made once and shared by every node through the database. */
const secrets = new WeakMap<Database, Promise<Buffer>>();
function linkKey(deps: Deps): Promise<Buffer> {
  let key = secrets.get(deps.db);
  if (!key) {
    key = (async () => {
      await deps.db
        .insertInto('server_secrets')
        .values({ name: 'file_links', value: deps.ids.secret('') })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await deps.db
        .selectFrom('server_secrets')
        .select('value')
        .where('name', '=', 'file_links')
        .executeTakeFirstOrThrow();
      return Buffer.from(row.value);
    })();
    key.catch(() => secrets.delete(deps.db));
    secrets.set(deps.db, key);
  }
  return key;
}
const signature = (key: Buffer, fileId: string, userId: string, expires: number) =>
  createHmac('sha256', key).update(`${fileId}.${userId}.${expires}`).digest('base64url');

/** A download link for one file and one user, valid LINK_VALID_S: it needs no other credential, so it works in `<img>` and `<a>`. */
export async function fileLink(
  deps: Deps,
  principal: Principal,
  sessionId: string,
  fileId: string,
) {
  const { userId } = await asParticipant(deps, principal, sessionId);
  const f = await deps.db
    .selectFrom('files')
    .select('id')
    .where('id', '=', fileId)
    .where('session_id', '=', sessionId)
    .where('state', '=', 'ready')
    .executeTakeFirst();
  if (!f) fail('not_found', 'No such file in this session.');
  const expires = Math.floor((await deps.clock.now(deps.db)).getTime() / 1000) + LINK_VALID_S;
  const sig = signature(await linkKey(deps), fileId, userId, expires);
  return {
    url: `${deps.config.publicUrl}/api/files/${fileId}?user=${userId}&expires=${expires}&sig=${sig}`,
    expiresAt: new Date(expires * 1000).toISOString(),
  };
}

/**
 * A signed link's file: the signature must be ours for exactly this file, user and expiry, the
 * expiry not passed (the database's clock), and the user still one of the session's two.
 */
export async function openDownload(
  deps: Deps,
  fileId: string,
  q: { user: string; expires: number; sig: string },
) {
  const expected = Buffer.from(signature(await linkKey(deps), fileId, q.user, q.expires));
  const given = Buffer.from(q.sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    fail('file_link_invalid');
  if (q.expires * 1000 < (await deps.clock.now(deps.db)).getTime())
    fail('file_link_invalid', 'The download link has expired.', { reason: 'expired' });
  const f = await deps.db
    .selectFrom('files as f')
    .innerJoin('sessions as s', 's.id', 'f.session_id')
    .select(['f.id', 'f.session_id', 'f.name', 'f.mime', 'f.size', 's.client_id', 's.expert_id'])
    .where('f.id', '=', fileId)
    .where('f.state', '=', 'ready')
    .executeTakeFirst();
  if (!f) return fail('not_found', 'No such file.');
  if (q.user !== f.client_id && q.user !== f.expert_id) fail('file_link_invalid');
  return {
    name: f.name,
    mime: f.mime!,
    size: Number(f.size),
    body: await deps.storage.get(objectKey(f)),
  };
}

/**
 * The stale-upload sweep: uploads still `uploading` after FILE_UPLOAD_STALE_S belong to a
 * process that died mid-way. Their object, spool file and row are removed, in that order, so
 * a sweep that dies too leaves the row to find again.
 */
export async function staleUploadTick(deps: Deps, batch = 100) {
  const now = await deps.clock.now(deps.db);
  const cutoff = new Date(now.getTime() - deps.config.FILE_UPLOAD_STALE_S * 1000);
  const stale = await deps.db
    .selectFrom('files')
    .select(['id', 'session_id'])
    .where('state', '=', 'uploading')
    .where('created_at', '<', cutoff)
    .limit(batch)
    .execute();
  let failed = 0;
  for (const f of stale) {
    await rm(spoolPath(deps.config, f.id), { force: true });
    if (!(await discard(deps, f))) failed++;
  }
  deps.metrics.sweepRows.inc({ sweep: 'stale_uploads' }, stale.length);
  return { processed: stale.length - failed, failed };
}
