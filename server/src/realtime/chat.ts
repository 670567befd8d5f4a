import type { ChatMessage } from '@hourglass/protocol';
import type { Database } from '../db/connect.ts';
import type { ChatMessagesTable } from '../db/schema.ts';
import type { Deps } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { capabilitiesOf } from '../sessions/rules.ts';
import { sql, type Selectable } from 'kysely';

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

interface Pending {
  p: Participant;
  input: { clientMsgId: string; text: string };
  resolve(r: { message: ChatMessage; created: boolean }): void;
  reject(err: unknown): void;
}

/** One message's answer from `hg_chat_send` (migration 019); the stored text and time only for 'existing'. */
interface Outcome {
  ord: number;
  outcome: 'created' | 'existing' | 'not_found' | 'closed';
  state: string | null;
  msg_id: string;
  seq: number;
  stored_text: string | null;
  stored_at: Date | null;
}

/**
 * Stores chat messages (D3) with group commit: messages that arrive while a batch is being
 * committed wait for the next, which stores them all in one transaction (`hg_chat_send`,
 * migration 019) — each numbered by its session's counter under the session's lock, durable
 * before it is acknowledged. Sessions are spread over a few lanes, each with one batch in
 * flight: the database works on one lane's batch while this process prepares another's, and a
 * session always uses the same lane, so one sender's messages keep their order. A retry with
 * the same `clientMsgId` answers the stored message and `created: false`, so the caller
 * broadcasts nothing new. Text is stored as the plain text it is; clients render it as text.
 */
export class ChatWriter {
  private readonly lanes: { queue: Pending[]; draining: boolean }[];
  constructor(private readonly deps: Deps, lanes = 2, private readonly maxBatch = 500) {
    this.lanes = Array.from({ length: lanes }, () => ({ queue: [], draining: false }));
  }

  send(p: Participant, type: 'chat' | 'voice' | 'video', input: { clientMsgId: string; text: string }): Promise<{ message: ChatMessage; created: boolean }> {
    if (!capabilitiesOf(type).chat) return Promise.reject(new AppError('not_allowed_for_type', `A ${type} session has no chat.`));
    const lane = this.lanes[Number.parseInt(p.sessionId.slice(-4), 16) % this.lanes.length]!;
    return new Promise((resolve, reject) => {
      lane.queue.push({ p, input, resolve, reject });
      if (!lane.draining) void this.drain(lane);
    });
  }

  private async drain(lane: { queue: Pending[]; draining: boolean }) {
    lane.draining = true;
    while (lane.queue.length > 0) await this.write(lane.queue.splice(0, this.maxBatch));
    lane.draining = false;
  }

  /** One batch, one transaction. If it fails as a whole, each message is tried alone, so one bad message fails only itself. */
  private async write(batch: Pending[]) {
    try {
      const { outcomes, now } = await this.store(batch);
      if (outcomes.length !== batch.length) throw new Error(`hg_chat_send answered ${outcomes.length} of ${batch.length} messages`);
      const sentAt = now.toISOString();
      for (const o of outcomes) settle(batch[o.ord - 1]!, o, sentAt);
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      for (const one of batch) await this.write([one]);
    }
  }

  private store(batch: Pending[]) {
    const col = <T>(f: (x: Pending) => T) => batch.map(f);
    return inTransaction(this.deps, async (trx, now) => {
      const { rows } = await sql<Outcome>`select * from hg_chat_send(${now}, ${col((x) => x.p.sessionId)}::uuid[], ${col((x) => x.p.role)}::text[],
        ${col((x) => x.input.clientMsgId)}::text[], ${col((x) => x.input.text)}::text[], ${col(() => this.deps.ids.uuid())}::uuid[])`.execute(trx);
      return { outcomes: rows, now };
    });
  }
}

/** A created message is what was sent, stored at the batch's time; an existing one is as stored. */
function settle(x: Pending, o: Outcome, sentAt: string) {
  const message = { seq: o.seq, id: o.msg_id, clientMsgId: x.input.clientMsgId, from: x.p.role };
  switch (o.outcome) {
    case 'created':
      return x.resolve({ message: { ...message, text: x.input.text, sentAt }, created: true });
    case 'existing':
      return x.resolve({ message: { ...message, text: o.stored_text!, sentAt: new Date(o.stored_at!).toISOString() }, created: false });
    case 'not_found':
      return x.reject(new AppError('not_found', 'No such session.'));
    case 'closed':
      return x.reject(o.state === 'ended' ? new AppError('session_ended') : new AppError('invalid_transition', undefined, { state: o.state, command: 'chat' }));
  }
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
