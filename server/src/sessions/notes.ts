import type { Database } from '../db/connect.ts';
import type { Deps, Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { mayRead, participantRole } from './access.ts';
import { loadForUpdate } from './lifecycle.ts';
import { eventsRepo, sessionsRepo, type SessionRow } from './repository.ts';

type Kind = 'summary' | 'private';

async function read(db: Database, s: SessionRow, authorId: string, kind: Kind) {
  const row = await db
    .selectFrom('session_notes')
    .select(['text', 'updated_at'])
    .where('session_id', '=', s.id)
    .where('author_id', '=', authorId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return {
    sessionId: s.id,
    kind,
    text: row?.text ?? '',
    updatedAt: row?.updated_at.toISOString() ?? null,
  };
}

const load = async (deps: Deps, id: string) =>
  (await sessionsRepo.byId(deps.db, id)) ?? fail('not_found', 'No such session.');

/** F3: the expert's summary — its two participants and operators read it (empty until written). */
export async function getSummary(deps: Deps, principal: Principal, id: string) {
  const s = await load(deps, id);
  if (!mayRead(principal, s)) fail('forbidden');
  return read(deps.db, s, s.expert_id, 'summary');
}

/** The expert writes (or rewrites) the summary once the session has taken place and ended. */
export async function putSummary(deps: Deps, principal: Principal, id: string, text: string) {
  return inTransaction(deps, async ({ db: trx, now }) => {
    const s = await loadForUpdate(trx, id);
    if (participantRole(principal, s) !== 'expert')
      fail('forbidden', "Only the session's expert writes its summary.");
    if (s.state !== 'ended' || !s.started_at)
      fail('invalid_transition', 'A summary is written after a session that took place.', {
        state: s.state,
        command: 'summarise',
      });
    await write(trx, s, { authorId: s.expert_id, kind: 'summary', text }, now);
    await eventsRepo.append(trx, deps.ids, {
      sessionId: id,
      at: now,
      actor: { id: s.expert_id, role: 'expert' },
      kind: 'summary_written',
      data: { length: text.length },
    });
    return read(trx, s, s.expert_id, 'summary');
  });
}

/** Private notes: each participant their own, at any time; nobody else reads them, operators included. */
export async function getMyNotes(deps: Deps, principal: Principal, id: string) {
  const s = await load(deps, id);
  return read(deps.db, s, authorOf(principal, s), 'private');
}

export async function putMyNotes(deps: Deps, principal: Principal, id: string, text: string) {
  return inTransaction(deps, async ({ db: trx, now }) => {
    const s = await loadForUpdate(trx, id);
    const author = authorOf(principal, s);
    await write(trx, s, { authorId: author, kind: 'private', text }, now);
    return read(trx, s, author, 'private');
  });
}

function authorOf(principal: Principal, s: SessionRow): string {
  const role = participantRole(principal, s);
  if (!role) return fail('forbidden', 'Private notes belong to the session’s participants.');
  return role === 'client' ? s.client_id : s.expert_id;
}

/** An empty text clears the note: no row is kept for nothing. */
async function write(
  trx: Database,
  s: SessionRow,
  note: { authorId: string; kind: Kind; text: string },
  now: Date,
) {
  const { authorId, kind, text } = note;
  const at = trx
    .deleteFrom('session_notes')
    .where('session_id', '=', s.id)
    .where('author_id', '=', authorId)
    .where('kind', '=', kind);
  if (text.trim() === '') return void (await at.execute());
  await trx
    .insertInto('session_notes')
    .values({ session_id: s.id, author_id: authorId, kind, text, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['session_id', 'author_id', 'kind']).doUpdateSet({ text, updated_at: now }),
    )
    .execute();
}
