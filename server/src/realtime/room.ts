import { realtimeLimits, type RoomPresence, type SessionStatePayload } from '@hourglass/protocol';
import { accounts } from '../ledger/accounts.ts';
import { balanceOf } from '../ledger/ledger.ts';
import { split } from '../ledger/split.ts';
import type { Deps } from '../platform/context.ts';
import type { DomainEvent } from '../platform/events.ts';
import type { Tx } from '../platform/transaction.ts';
import { presentNotifications } from '../notify/notifications.ts';
import { iso } from '../sessions/present.ts';
import type { SessionRow } from '../sessions/repository.ts';
import { capabilitiesOf } from '../sessions/rules.ts';
import { otherSide } from '../sessions/access.ts';
import { recentMessages, type Side } from './chat.ts';
import type { ServerToClientEvents } from '@hourglass/protocol';
import type { Io } from './io.ts';
import { presenceOf } from './presence.ts';
import { userRoom } from './user-channel.ts';

/**
 * A participant's sockets are in one room, their side's; a session's are both sides' rooms —
 * one room per socket rather than a session room as well (a room is a set, a name and an entry
 * per socket, held by every connection: docs/perf-log/). The name is built flat (`join`):
 * a template makes a chain of concatenations, which the adapter's map flattens into a second
 * copy while the chain stays, for the socket's life.
 */
export const roleRoom = (sessionId: string, role: 'client' | 'expert') =>
  ['session:', sessionId, ':', role].join('');
export const room = (sessionId: string) => [
  roleRoom(sessionId, 'client'),
  roleRoom(sessionId, 'expert'),
];

/**
 * `session:state`: what a participant needs to draw the room, taken at one moment (D2, D5) —
 * inside the handshake's transaction, so it shows the join it answers.
 */
export async function roomState(
  deps: Deps,
  tx: Pick<Tx, 'db' | 'now'>,
  s: SessionRow,
  p: Side,
): Promise<SessionStatePayload> {
  const { db, now } = tx;
  // The participant it is for has just arrived: present. Only the other side is looked up.
  const theirs = await presenceOf(deps, db, s, otherSide(p.role));
  const mine: RoomPresence = { role: p.role, status: 'present', since: null };
  const [client, expert] = p.role === 'client' ? [mine, theirs] : [theirs, mine];
  // One after another: on one connection (a transaction) queries run in turn anyway.
  const messages = await recentMessages(db, s.id, realtimeLimits.history);
  const balance = p.role === 'client' ? await balanceOf(db, accounts.wallet(s.client_id)) : null;
  const money = await moneyOf(deps, db, s, p.role);
  return {
    sessionId: s.id,
    you: p.role,
    type: s.type,
    state: s.state,
    endReason: s.end_reason,
    capabilities: capabilitiesOf(s.type),
    ratePerMinute: s.rate_per_minute,
    participants: [client, expert],
    timer: {
      startedAt: iso(s.started_at),
      endsAt: iso(s.ends_at),
      paidUntil: iso(s.paid_until),
      pausedAt: iso(s.paused_at),
      serverNow: now.toISOString(),
    },
    balance,
    money,
    extensionMinutes:
      p.role === 'client' && s.kind === 'scheduled' ? deps.config.EXTENSION_MINUTES : [],
    messages,
  };
}

/**
 * The session's money as one side sees it, from the ledger: the client what they have paid
 * (less refunds); the expert their share, after the fee — posted per minute on demand, or what
 * the release of a scheduled session's escrow will pay them.
 */
async function moneyOf(
  deps: Deps,
  db: Tx['db'],
  s: SessionRow,
  role: Side['role'],
): Promise<SessionStatePayload['money']> {
  const moves = await db
    .selectFrom('ledger_transfers')
    .select(['debit_account', 'credit_account', 'amount'])
    .where('session_id', '=', s.id)
    .where('pending', '=', false)
    .execute();
  /** What flowed into `account` minus what flowed out, in this session. */
  const net = (account: string) =>
    moves.reduce(
      (t, m) =>
        t +
        (m.credit_account === account ? Number(m.amount) : 0) -
        (m.debit_account === account ? Number(m.amount) : 0),
      0,
    );
  if (role === 'client')
    return { spent: -net(accounts.wallet(s.client_id)), earned: null, expertPercent: null };
  const pct = deps.config.SPLIT_EXPERT_PERCENT;
  const posted = net(accounts.earnings(s.expert_id));
  const held = net(accounts.escrow(s.id));
  return { spent: null, earned: posted + split(held, pct).expert, expertPercent: pct };
}

/** What rooms are reached through: the gateway's server, or a Redis emitter on a node without one. */
export interface Rooms {
  to(rooms: string | string[]): {
    emit<E extends keyof ServerToClientEvents>(
      event: E,
      ...args: Parameters<ServerToClientEvents[E]>
    ): unknown;
    disconnectSockets(close: boolean): void;
  };
  /** Whether a room has a socket here; null when sockets of other nodes count too (Redis). */
  hasLocal(room: string): boolean | null;
}

/** The gateway's rooms: with the Redis adapter, `to()` reaches sockets on every node. */
export const gatewayRooms = (io: Io, multiNode: boolean): Rooms => ({
  to: (rooms) => io.to(rooms),
  hasLocal: (r) => (multiNode ? null : io.of('/').adapter.rooms.has(r)),
});

/** Every domain event this process publishes, delivered to the rooms; returns the unsubscribe. */
export function deliverEvents(deps: Deps, rooms: Rooms): () => void {
  return deps.events.subscribe((e) => {
    deliverDomainEvents(rooms, deps, e).catch((err: unknown) =>
      deps.log.error({ err, event: e.type }, 'realtime delivery failed'),
    );
  });
}

/**
 * Domain events (published after their transaction commits, on the node that made them) to
 * the room; through Redis they reach sockets on every node. The client's balance goes to the
 * client's sockets only.
 */
export async function deliverDomainEvents(io: Rooms, deps: Deps, e: DomainEvent) {
  // Timer events carry the server's time, so a client can correct its own clock's offset.
  const serverNow = async () => (await deps.clock.now(deps.db)).toISOString();
  switch (e.type) {
    case 'session.started':
      // Its server time is the start itself, as session:state's is its transaction's: delivered
      // as that transaction commits, with no query of its own at the moment a call is set up.
      io.to(room(e.sessionId)).emit('session:started', {
        startedAt: e.startedAt,
        endsAt: e.endsAt,
        paidUntil: null,
        serverNow: e.startedAt,
      });
      return;
    case 'session.ended':
      io.to(room(e.sessionId)).emit('session:ended', { reason: e.reason, endedAt: e.endedAt });
      // The room is over: its connections are closed on every node (what they send after that
      // is not heard). On the next turn, so that the answer to the `session:end` that ended it
      // is on its way first; through Redis the close follows the event on the same connection.
      setImmediate(() => io.to(room(e.sessionId)).disconnectSockets(true));
      return;
    case 'access.revoked':
      // No rooms would mean every socket: never.
      if (e.roles.length > 0)
        io.to(e.roles.map((r) => roleRoom(e.sessionId, r))).disconnectSockets(true);
      return;
    case 'user.disabled':
      io.to([
        userRoom(e.userId),
        ...e.seats.map((s) => roleRoom(s.sessionId, s.role)),
      ]).disconnectSockets(true);
      return;
    case 'session.paused':
      io.to(room(e.sessionId)).emit('session:paused', {
        pausedAt: e.pausedAt,
        serverNow: await serverNow(),
      });
      return;
    case 'session.extended':
      io.to(room(e.sessionId)).emit('session:extended', {
        endsAt: e.endsAt,
        paidUntil: e.paidUntil,
        serverNow: await serverNow(),
      });
      return;
    case 'request.created':
      io.to(userRoom(e.expertId)).emit('request:new', {
        sessionId: e.sessionId,
        clientId: e.clientId,
        type: e.sessionType,
        expiresAt: e.expiresAt,
      });
      return;
    case 'request.answered':
      io.to(userRoom(e.clientId)).emit('request:answered', {
        sessionId: e.sessionId,
        state: e.state,
      });
      return;
    case 'presence.changed':
      io.to(room(e.sessionId)).emit('presence', { role: e.role, status: e.status, since: e.since });
      return;
    case 'billing.charged': {
      const body = { minute: e.minute, amount: e.amount, paidUntil: e.paidUntil };
      io.to(roleRoom(e.sessionId, 'client')).emit('billing:charged', {
        ...body,
        balance: e.balance,
      });
      io.to(roleRoom(e.sessionId, 'expert')).emit('billing:charged', { ...body, balance: null });
      return;
    }
    case 'file.shared':
      io.to(room(e.sessionId)).emit('file:shared', e.file);
      return;
    case 'chat.head':
      io.to(room(e.sessionId)).emit('chat:head', { seq: e.seq });
      return;
    case 'notification.created': {
      // Presenting one costs a query: none when the user has no socket to hear it. Only this
      // process's sockets are known here; with several nodes, someone may listen elsewhere.
      if (io.hasLocal(userRoom(e.userId)) === false) return;
      const [n] = await presentNotifications(deps.db, e.userId, [e.notification]);
      io.to(userRoom(e.userId)).emit('notification', n!);
      return;
    }
    case 'billing.low_balance':
      io.to(roleRoom(e.sessionId, 'client')).emit('session:low_balance', {
        balance: e.balance,
        minutesLeft: e.minutesLeft,
      });
      io.to(roleRoom(e.sessionId, 'expert')).emit('session:low_balance', {
        balance: null,
        minutesLeft: e.minutesLeft,
      });
      return;
  }
}
