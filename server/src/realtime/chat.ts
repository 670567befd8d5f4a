import type { ChatMessage } from '@hourglass/protocol';
import type { Database } from '../db/connect.ts';
import type { ChatMessagesTable } from '../db/schema.ts';
import type { Deps } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { loadForUpdate } from '../sessions/lifecycle.ts';
import { capabilitiesOf } from '../sessions/rules.ts';
import type { Selectable } from 'kysely';

export interface Participant {
  sessionId: string;
  userId: string;
  role: 'client' | 'expert';
}

const present = (m: Selectable<ChatMessagesTable>): ChatMessage => ({
  seq: m.seq,
  id: m.id,
  clientMsgId: m.client_msg_id,
  from: m.sender_role,
  text: m.text,
  sentAt: m.created_at.toISOString(),
});

/** States in which the room's chat is open: before the other side arrives, and while live. */
const CHAT_STATES = ['accepted', 'booked', 'open', 'live'];

/**
 * Stores a chat message (D3) under the session row's lock, numbered by the session's counter.
 * A retry with the same `clientMsgId` returns the stored message and `created: false`, so the
 * caller broadcasts nothing new. Text is kept as the plain text it is; clients render it as text.
 */
export async function sendMessage(deps: Deps, p: Participant, input: { clientMsgId: string; text: string }) {
  return inTransaction(deps, async (trx, now) => {
    const s = await loadForUpdate(trx, p.sessionId);
    const existing = await trx.selectFrom('chat_messages').selectAll()
      .where('session_id', '=', p.sessionId).where('sender_role', '=', p.role).where('client_msg_id', '=', input.clientMsgId)
      .executeTakeFirst();
    if (existing) return { message: present(existing), created: false };
    if (!capabilitiesOf(s.type).chat) fail('not_allowed_for_type', `A ${s.type} session has no chat.`);
    if (s.state === 'ended') fail('session_ended');
    if (!CHAT_STATES.includes(s.state)) fail('invalid_transition', undefined, { state: s.state, command: 'chat' });
    const { chat_seq: seq } = await trx.updateTable('sessions').set((eb) => ({ chat_seq: eb('chat_seq', '+', 1) }))
      .where('id', '=', s.id).returning('chat_seq').executeTakeFirstOrThrow();
    const row = await trx.insertInto('chat_messages').values({
      id: deps.ids.uuid(),
      session_id: s.id,
      seq,
      sender_id: p.userId,
      sender_role: p.role,
      client_msg_id: input.clientMsgId,
      text: input.text,
      created_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    return { message: present(row), created: true };
  });
}

/** Messages after `afterSeq`, oldest first, at most `limit`; `more` says whether others follow. */
export async function messagesAfter(db: Database, sessionId: string, afterSeq: number, limit: number) {
  const rows = await db.selectFrom('chat_messages').selectAll()
    .where('session_id', '=', sessionId).where('seq', '>', afterSeq).orderBy('seq').limit(limit + 1).execute();
  return { messages: rows.slice(0, limit).map(present), more: rows.length > limit };
}

/** The latest `limit` messages, oldest first (for `session:state`). */
export async function recentMessages(db: Database, sessionId: string, limit: number) {
  const rows = await db.selectFrom('chat_messages').selectAll().where('session_id', '=', sessionId).orderBy('seq', 'desc').limit(limit).execute();
  return rows.reverse().map(present);
}
