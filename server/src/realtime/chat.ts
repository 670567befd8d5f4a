import type { ChatMessage } from '@hourglass/protocol';
import type { Database } from '../db/connect.ts';
import type { ChatMessagesTable } from '../db/schema.ts';
import type { Deps } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { capabilitiesOf } from '../sessions/rules.ts';
import { sql, type Selectable } from 'kysely';

/** One side of a session: what a chat message and a socket's presence need. */
export interface Side {
  sessionId: string;
  role: 'client' | 'expert';
}

/** A side with the user in it, as a join token names them. */
export interface Participant extends Side {
  userId: string;
}

const present = (m: Selectable<ChatMessagesTable>): ChatMessage => ({
  seq: m.seq,
  id: m.id,
  clientMsgId: m.client_msg_id,
  from: m.sender_role,
  text: m.text,
  sentAt: m.created_at.toISOString(),
});

/**
 * A message to store, and where its answer goes: exactly one of `sent` and `failed`, once. One
 * object per message, not a promise: a flood keeps thousands in flight at once, and each promise
 * with its resolving functions and reactions was garbage the young generation had to copy
 * (bench/realtime, docs/PERFORMANCE.md). Its two strings are its own fields, not an input
 * object beside it: one object less per message waiting for its batch.
 */
export interface ChatSubmission {
  readonly p: Side;
  readonly type: 'chat' | 'voice' | 'video';
  readonly clientMsgId: string;
  readonly text: string;
  /** Stored, or (created: false) the stored copy of an earlier send with the same clientMsgId. */
  sent(message: ChatMessage, created: boolean): void;
  failed(err: unknown): void;
}
type Log = Deps['log'];

/** One message's answer from `hg_chat_send` (migrations 019, 020); the stored text and time only for 'existing'. */
interface Outcome {
  ord: number;
  outcome: 'created' | 'existing' | 'not_found' | 'closed';
  state: string | null;
  msg_id: string;
  seq: number;
  stored_text: string | null;
  stored_at: Date | null;
}

/** Where a batch's new messages go: called once per session per batch, its messages in seq order. */
export type PublishMessages = (sessionId: string, messages: ChatMessage[]) => void;

export interface ChatWriterLimits {
  /** Lanes: batches in flight at once (a session always uses the same lane). */
  lanes?: number;
  /** Messages in one batch, and their characters (text of up to 4,000 each): a bound on one transaction's size. */
  maxBatch?: number;
  maxBatchChars?: number;
}

/**
 * Stores chat messages (D3) with group commit: messages that arrive while a batch is being
 * committed wait for the next, which stores them all in one transaction (`hg_chat_send`,
 * migrations 019 and 020) — each numbered by its session's counter under the session's lock, durable
 * before it is acknowledged. Sessions are spread over a few lanes, each with one batch in
 * flight: the database works on one lane's batch while this process prepares another's, and a
 * session always uses the same lane, so one sender's messages keep their order. Once a batch is
 * committed, each session's new messages are published together (`publish`: the gateway sends
 * them as one `chat:messages` frame to the session's sockets), so a busy session costs a frame
 * per batch rather than per message. A retry with the same `clientMsgId` answers the stored
 * message and `created: false`, and publishes nothing. Text is stored as the plain text it is;
 * clients render it as text.
 */
export class ChatWriter {
  private readonly lanes: { queue: ChatSubmission[]; draining: boolean }[];
  private readonly maxBatch: number;
  private readonly maxBatchChars: number;
  constructor(private readonly deps: Deps, private readonly publish: PublishMessages, limits: ChatWriterLimits = {}) {
    this.lanes = Array.from({ length: limits.lanes ?? 2 }, () => ({ queue: [], draining: false }));
    // Large by default: under a flood the batch is what carries several of a session's messages per frame.
    this.maxBatch = limits.maxBatch ?? 10_000;
    this.maxBatchChars = limits.maxBatchChars ?? 2_000_000;
  }

  send(x: ChatSubmission): void {
    if (!capabilitiesOf(x.type).chat) return answer(this.deps.log, x, 'failed', new AppError('not_allowed_for_type', `A ${x.type} session has no chat.`));
    const lane = this.lanes[Number.parseInt(x.p.sessionId.slice(-4), 16) % this.lanes.length]!;
    lane.queue.push(x);
    if (!lane.draining) void this.drain(lane);
  }

  private async drain(lane: { queue: ChatSubmission[]; draining: boolean }) {
    lane.draining = true;
    while (lane.queue.length > 0) await this.write(lane.queue.splice(0, this.batchLength(lane.queue)));
    lane.draining = false;
  }

  /** How many of the queue's first messages make the next batch: at least one, within both bounds. */
  private batchLength(queue: ChatSubmission[]) {
    let n = 0;
    let chars = 0;
    while (n < queue.length && n < this.maxBatch) {
      chars += queue[n]!.text.length;
      if (n > 0 && chars > this.maxBatchChars) break;
      n++;
    }
    return n;
  }

  /** One batch, one transaction. If it fails as a whole, each message is tried alone, so one bad message fails only itself. */
  private async write(batch: ChatSubmission[]) {
    let answered: { outcomes: Outcome[]; now: Date };
    try {
      answered = await this.store(batch);
      if (answered.outcomes.length !== batch.length) throw new Error(`hg_chat_send answered ${answered.outcomes.length} of ${batch.length} messages`);
    } catch (err) {
      if (batch.length === 1) return answer(this.deps.log, batch[0]!, 'failed', err);
      for (const one of batch) await this.write([one]);
      return;
    }
    const sentAt = answered.now.toISOString();
    const created = new Map<string, ChatMessage[]>();
    // In the batch's order, which is each session's seq order.
    for (const o of answered.outcomes) {
      const x = batch[o.ord - 1]!;
      const message = settle(this.deps.log, x, o, sentAt);
      if (!message) continue;
      const list = created.get(x.p.sessionId);
      if (list) list.push(message);
      else created.set(x.p.sessionId, [message]);
    }
    for (const [sessionId, messages] of created) {
      // The messages are stored and their senders answered: a failed delivery must not stop the lane.
      try {
        this.publish(sessionId, messages);
      } catch (err) {
        this.deps.log.error({ err, sessionId }, 'publishing chat messages failed');
      }
    }
  }

  private store(batch: ChatSubmission[]) {
    const col = <T>(f: (x: ChatSubmission) => T) => batch.map(f);
    return inTransaction(this.deps, async (trx, now) => {
      const { rows } = await sql<Outcome>`select * from hg_chat_send(${now}, ${col((x) => x.p.sessionId)}::uuid[], ${col((x) => x.p.role)}::text[],
        ${col((x) => x.clientMsgId)}::text[], ${col((x) => x.text)}::text[], ${col(() => this.deps.ids.uuid())}::uuid[])`.execute(trx);
      return { outcomes: rows, now };
    });
  }
}

/**
 * Answers one message: a created one is what was sent, stored at the batch's time (returned, to
 * be published); an existing one is as stored.
 */
function settle(log: Log, x: ChatSubmission, o: Outcome, sentAt: string): ChatMessage | null {
  // Object literals, not a spread of a common part: a spread costs ≈ 3 µs a message here, as
  // much as the rest of this function a hundred times over.
  const { clientMsgId, text } = x;
  switch (o.outcome) {
    case 'created': {
      const created = { seq: o.seq, id: o.msg_id, clientMsgId, from: x.p.role, text, sentAt };
      answer(log, x, 'sent', created, true);
      return created;
    }
    case 'existing':
      answer(log, x, 'sent', { seq: o.seq, id: o.msg_id, clientMsgId, from: x.p.role, text: o.stored_text!, sentAt: new Date(o.stored_at!).toISOString() }, false);
      return null;
    case 'not_found':
      answer(log, x, 'failed', new AppError('not_found', 'No such session.'));
      return null;
    case 'closed':
      answer(log, x, 'failed', o.state === 'ended' ? new AppError('session_ended') : new AppError('invalid_transition', undefined, { state: o.state, command: 'chat' }));
      return null;
  }
}

/** Calls a submission's answer; one that throws is its own bug, and must not stop the lane or the batch's other answers. */
function answer(log: Log, x: ChatSubmission, how: 'sent', message: ChatMessage, created: boolean): void;
function answer(log: Log, x: ChatSubmission, how: 'failed', err: unknown): void;
function answer(log: Log, x: ChatSubmission, how: 'sent' | 'failed', a: unknown, created?: boolean) {
  try {
    if (how === 'sent') x.sent(a as ChatMessage, created!);
    else x.failed(a);
  } catch (err) {
    // Nothing to tell the sender through: its own answer is what failed.
    log.error({ err, sessionId: x.p.sessionId }, 'answering a chat message failed');
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
