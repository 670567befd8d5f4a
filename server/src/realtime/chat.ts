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
 * (bench/realtime, docs/perf-log/). Its two strings are its own fields, not an input
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

/**
 * A message's answer from `hg_chat_store` (db/functions/hg_chat_store.sql), in the batch's order: every
 * message not created, and of a session's new messages only the first (its seq); the stored text
 * and time only for 'existing'.
 */
interface Outcome {
  ord: number;
  outcome: 'created' | 'existing' | 'not_found' | 'closed';
  state: string | null;
  msg_id: string | null;
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
 * committed wait for the next, which stores them all in one transaction (`hg_chat_store`,
 * db/functions/hg_chat_store.sql) — each numbered by its session's counter under the session's lock, durable
 * before it is acknowledged; a batch is looked up message by message only when it holds a
 * retry's copy or a closed session's message. Sessions are spread over a few lanes, each with
 * one batch in flight: the database works on one lane's batch while this process prepares another's, and a
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
  private readonly idle: (() => void)[] = [];
  constructor(
    private readonly deps: Deps,
    private readonly publish: PublishMessages,
    limits: ChatWriterLimits = {},
  ) {
    this.lanes = Array.from({ length: limits.lanes ?? 2 }, () => ({ queue: [], draining: false }));
    // Large by default: under a flood the batch is what carries several of a session's messages per frame.
    this.maxBatch = limits.maxBatch ?? 10_000;
    this.maxBatchChars = limits.maxBatchChars ?? 2_000_000;
  }

  send(x: ChatSubmission): void {
    if (!capabilitiesOf(x.type).chat)
      return answerFailed(
        this.deps.log,
        x,
        new AppError('not_allowed_for_type', `A ${x.type} session has no chat.`),
      );
    const lane = this.lanes[Number.parseInt(x.p.sessionId.slice(-4), 16) % this.lanes.length]!;
    lane.queue.push(x);
    if (!lane.draining) void this.drain(lane);
  }

  private async drain(lane: { queue: ChatSubmission[]; draining: boolean }) {
    lane.draining = true;
    while (lane.queue.length > 0)
      await this.write(lane.queue.splice(0, this.batchLength(lane.queue)));
    lane.draining = false;
    if (!this.lanes.some((l) => l.draining)) for (const resolve of this.idle.splice(0)) resolve();
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
    let stored: Stored;
    try {
      stored = await this.store(batch);
    } catch (err) {
      if (batch.length === 1) return answerFailed(this.deps.log, batch[0]!, err);
      for (const one of batch) await this.write([one]);
      return;
    }
    // Committed, not yet published: a node that dies here has stored messages nobody was told
    // of. Clients notice the gap or the silent tail and ask for them (docs/PROTOCOL.md "Chat
    // after a node dies"); tests kill a node at this very point.
    this.deps.faults.hit('chat.committed', () => batch.map((x) => x.text));
    // A retry's stored copy goes to the whole session again, not only to the one retrying: the
    // node that stored it first may have died before publishing it. Clients keep one copy a seq.
    let again: Map<string, ChatMessage[]> | undefined;
    for (let i = 0; i < batch.length; i++) {
      const x = batch[i]!;
      const a = stored.answers[i]!;
      if (!isOutcome(a)) answerSent(this.deps.log, x, a, true);
      else if (a.outcome !== 'existing') refuse(this.deps.log, x, a);
      else {
        const copy = storedCopy(x, a);
        answerSent(this.deps.log, x, copy, false);
        again ??= new Map();
        again.set(x.p.sessionId, [...(again.get(x.p.sessionId) ?? []), copy]);
      }
    }
    for (const published of again ? [again, stored.created] : [stored.created]) {
      for (const [sessionId, messages] of published) {
        // The messages are stored and their senders answered: a failed delivery must not stop the lane.
        try {
          this.publish(sessionId, messages);
        } catch (err) {
          this.deps.log.error({ err, sessionId }, 'publishing chat messages failed');
        }
      }
    }
  }

  /** Resolves once every message handed to `send` so far has been stored and answered (a node's graceful stop). */
  drained(): Promise<void> {
    if (!this.lanes.some((l) => l.draining)) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stores a batch and answers each of its messages: the message it created, or what else became of it. */
  private async store(batch: ChatSubmission[]): Promise<Stored> {
    const col = <T>(f: (x: ChatSubmission) => T) => batch.map(f);
    const ids = col(() => this.deps.ids.uuid());
    const { rows, now } = await inTransaction(this.deps, async ({ db: trx, now }) => {
      const { rows } =
        await sql<Outcome>`select * from hg_chat_store(${now}, ${col((x) => x.p.sessionId)}::uuid[], ${col((x) => x.p.role)}::text[],
        ${col((x) => x.clientMsgId)}::text[], ${col((x) => x.text)}::text[], ${ids}::uuid[])`.execute(
          trx,
        );
      return { rows, now };
    });
    return answersOf(batch, ids, rows, now.toISOString());
  }
}

/** A message's answer: the message it created, or the outcome of one not created (no wrapper: one object a message). */
type Answer = ChatMessage | Outcome;
const isOutcome = (a: Answer): a is Outcome => (a as Partial<Outcome>).outcome !== undefined;

/** Each message's answer, in the batch's order, and each session's created messages in seq order (to publish). */
interface Stored {
  answers: Answer[];
  created: Map<string, ChatMessage[]>;
}

/**
 * Each message's answer from `hg_chat_store`'s rows. A created message without a row of its own
 * follows its session's previous new message in this batch: seq + 1. The rows are checked
 * against that rule, and a batch they do not fit throws (a bug: its messages are then answered
 * one by one, as stored).
 */
function answersOf(
  batch: ChatSubmission[],
  ids: string[],
  rows: Outcome[],
  sentAt: string,
): Stored {
  const created = new Map<string, ChatMessage[]>();
  let r = 0;
  const answers = batch.map((x, i): Answer => {
    const row = rows[r]?.ord === i + 1 ? rows[r++] : undefined;
    if (row && row.outcome !== 'created') return row;
    const list = created.get(x.p.sessionId);
    if (!row && !list)
      throw new Error(`hg_chat_store numbered no new message of its session before #${i + 1}`);
    // An object literal, not a spread of a common part: a spread costs ≈ 3 µs a message here.
    const message = {
      seq: row ? row.seq : list!.at(-1)!.seq + 1,
      id: ids[i]!,
      clientMsgId: x.clientMsgId,
      from: x.p.role,
      text: x.text,
      sentAt,
    };
    if (list) list.push(message);
    else created.set(x.p.sessionId, [message]);
    return message;
  });
  if (r !== rows.length)
    throw new Error(`hg_chat_store answered ${rows.length - r} rows out of the batch's order`);
  return { answers, created };
}

/** The stored copy of a message sent before with the same clientMsgId (outcome 'existing'). */
const storedCopy = (x: ChatSubmission, o: Outcome): ChatMessage => ({
  seq: o.seq,
  id: o.msg_id!,
  clientMsgId: x.clientMsgId,
  from: x.p.role,
  text: o.stored_text!,
  sentAt: new Date(o.stored_at!).toISOString(),
});

/** Refuses a message whose session is unknown or not open (answersOf). */
function refuse(log: Log, x: ChatSubmission, o: Outcome) {
  const err =
    o.outcome === 'not_found'
      ? new AppError('not_found', 'No such session.')
      : o.state === 'ended'
        ? new AppError('session_ended')
        : new AppError('invalid_transition', undefined, { state: o.state, command: 'chat' });
  answerFailed(log, x, err);
}

/**
 * Calls a submission's answer; one that throws is its own bug, and must not stop the lane or the
 * batch's other answers. (Two functions rather than one taking a callback: no closure a message.)
 */
function answerSent(log: Log, x: ChatSubmission, message: ChatMessage, created: boolean) {
  try {
    x.sent(message, created);
  } catch (err) {
    answerThrew(log, x, err);
  }
}

function answerFailed(log: Log, x: ChatSubmission, failure: unknown) {
  try {
    x.failed(failure);
  } catch (err) {
    answerThrew(log, x, err);
  }
}

// Nothing to tell the sender through: its own answer is what failed.
const answerThrew = (log: Log, x: ChatSubmission, err: unknown) =>
  log.error({ err, sessionId: x.p.sessionId }, 'answering a chat message failed');

/** Messages after `afterSeq`, oldest first, at most `limit`; `more` says whether others follow. */
export async function messagesAfter(
  db: Database,
  sessionId: string,
  afterSeq: number,
  limit: number,
) {
  const rows = await db
    .selectFrom('chat_messages')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  return { messages: rows.slice(0, limit).map(present), more: rows.length > limit };
}

/** The latest `limit` messages, oldest first (for `session:state`). */
export async function recentMessages(db: Database, sessionId: string, limit: number) {
  const rows = await db
    .selectFrom('chat_messages')
    .selectAll()
    .where('session_id', '=', sessionId)
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map(present);
}
