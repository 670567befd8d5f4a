import {
  ChatSend,
  MediaState,
  Resume,
  SignalSend,
  realtimeLimits,
  realtimeProtocol,
  ProtocolVersion,
  type Ack,
  type ChatMessage,
  type SessionStatePayload,
} from '@hourglass/protocol';
import { createAdapter } from '@socket.io/redis-adapter';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Server } from 'socket.io';
import { z } from 'zod';
import { hostUser } from '../people/authenticate.ts';
import type { Deps } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { normaliseError } from '../platform/http.ts';
import { validate } from '../platform/router.ts';
import { inTransaction } from '../platform/transaction.ts';
import { endSession, joinIn } from '../sessions/service.ts';
import { otherSide } from '../sessions/access.ts';
import { resolveJoinToken } from '../sessions/tokens.ts';
import { ChatWriter, messagesAfter, type ChatSubmission, type Side } from './chat.ts';
import { takeToken } from './limits.ts';
import { anyListener } from './any-listener.ts';
import { arriveIn, depart, dropNode, heartbeat } from './presence.ts';
import { deliverEvents, gatewayRooms, roleRoom, room, roomState } from './room.ts';
import { UserHandshake, resolveUser, userRoom } from './user-channel.ts';
import { Seat, principalOf } from './seat.ts';
import { checkSignal } from './signaling.ts';
import type { Io, RoomSocket } from './io.ts';

const Handshake = z.object({ token: z.string().min(1).max(200), v: ProtocolVersion.optional() });

/** Refuses a client whose protocol version this server does not serve (realtimeProtocol). */
function checkVersion(v: number | undefined) {
  const client = v ?? 1;
  const { oldest, version: newest } = realtimeProtocol;
  if (client < oldest || client > newest)
    fail('protocol_mismatch', undefined, { client, oldest, newest });
}
/** What a participant socket's handshake keeps of its `auth` once the token is read: nothing. */
const NO_AUTH: Record<string, never> = Object.freeze({});

/** Between a participant's handshake and its connection: the state to send. */
const pending = new WeakMap<object, SessionStatePayload>();

/** A refusal as Socket.IO carries it to `connect_error`: `err.data = {code, details}`. */
function refusal(err: unknown): Error {
  const e = normaliseError(err);
  return Object.assign(new Error(e.message), {
    data: { code: e.code, ...(e.details === undefined ? {} : { details: e.details }) },
  });
}

/**
 * The realtime gateway (docs/PROTOCOL.md, "Realtime") on the API's HTTP server. A socket
 * authenticates with a join token, which also joins the session (D2: both joined → live), and
 * is put in exactly its side's room of its session. Every payload is validated by the protocol's schemas.
 * With REDIS_URL, rooms span every node through the Redis adapter; presence is in the database
 * (realtime/presence.ts), where every node and the sweeps see the same.
 */
export async function attachGateway(app: FastifyInstance, deps: Deps): Promise<Io> {
  const io: Io = new Server(app.server, {
    path: '/socket.io',
    serveClient: false,
    // Larger frames are dropped by the transport before any handler sees them.
    maxHttpBufferSize: realtimeLimits.signalBytes * 2,
    // A connection that went silent (no FIN, no RST) is noticed within 20 s, not the default 45 s.
    pingInterval: 10_000,
    pingTimeout: 10_000,
    // No connectionStateRecovery: resume is by chat seq from the database, which works across
    // nodes (the Redis adapter has no state recovery).
  });
  const redis = deps.config.REDIS_URL
    ? await redisAdapter(io, deps, deps.config.REDIS_URL)
    : undefined;
  const node = new GatewayNode(io, deps);
  await node.start();

  io.use(async (socket, next) => {
    try {
      const asUser = UserHandshake.safeParse(socket.handshake.auth);
      if (asUser.success) {
        checkVersion(asUser.data.v);
        socket.data =
          'hostToken' in asUser.data
            ? await hostUser(deps, asUser.data.hostToken)
            : await resolveUser(deps, socket.handshake.headers.cookie, asUser.data.csrfToken);
        return next();
      }
      const parsed = Handshake.safeParse(socket.handshake.auth);
      if (!parsed.success)
        fail(
          'unauthenticated',
          "Connect with auth: { token: <join token> }, or { channel: 'user', csrfToken } when signed in.",
        );
      checkVersion(parsed.data!.v);
      // The join token is a bearer credential: the socket does not keep it once read.
      socket.handshake.auth = NO_AUTH;
      // The token, the join (both joined → live), this socket's arrival and the state it is
      // answered with: one transaction, so the room's first picture shows this very join and
      // the other side hears of it (presence) the moment it commits.
      const { who, type, state } = await inTransaction(deps, async (tx) => {
        const token = parsed.data!.token;
        const who = await resolveJoinToken(tx.db, token, tx.now);
        await deps.faults.hit('realtime.token_resolved', () => [who.sessionId]);
        const joined = await joinIn(deps, tx, { kind: 'participant', ...who }, who.sessionId);
        // Read again with the session locked: a revocation locks it too, so one that committed
        // while this handshake waited is seen here, and this socket, which the revocation's
        // close could not reach, is refused instead.
        await resolveJoinToken(tx.db, token, tx.now);
        const s = await arriveIn(deps, tx, joined, {
          p: who,
          socketId: socket.id,
          nodeId: node.id,
        });
        return { who, type: s.type, state: await roomState(deps, tx, s, who) };
      });
      socket.data = new Seat(who.sessionId, who.role, type, deps.config.REALTIME_BURST);
      // Recorded as arrived. A transport that closed while the transaction ran is dropped by
      // socket.io without a 'disconnect', so its arrival is undone here. Once next() is called
      // socket.io connects the socket in a nextTick, before any I/O could close it: from then
      // on 'disconnect' is certain.
      if (socket.conn.readyState !== 'open') void leave(deps, node, who, socket.id);
      else pending.set(socket, state);
      next();
    } catch (err) {
      if (!(err instanceof AppError)) deps.log.error({ err }, 'realtime handshake failed');
      next(refusal(err));
    }
  });

  const participant = participantEvents(deps, node);
  io.on('connection', (socket) => {
    const data = socket.data;
    // A user's own channel only listens (no events in): it joins its room, nothing else.
    if (data instanceof Seat) participant.connected(socket, data);
    else {
      void socket.join(userRoom(data.userId));
      // A host token's channel lasts as long as the token: then the client signs in anew.
      if (data.validForMs !== undefined) {
        const expiry = setTimeout(() => socket.disconnect(true), Math.max(0, data.validForMs));
        socket.once('disconnect', () => clearTimeout(expiry));
      }
    }
  });
  const unsubscribe = deliverEvents(deps, gatewayRooms(io, !!redis));
  app.addHook('preClose', async () => {
    // Sockets first, so nothing new comes in; the chat in flight is stored and published; then
    // the node hands its participants over (and tells their rooms the latest seqs), its events
    // still delivered; only then does it stop listening.
    node.closing = true;
    io.local.disconnectSockets(true);
    await node.chat.drained();
    await node.stop();
    unsubscribe();
    // Not io.close(): that would also close the HTTP server, which Fastify closes itself.
    io.engine.close();
    await Promise.all(redis?.map((c) => c.quit().catch(() => undefined)) ?? []);
  });
  return io;
}

/** Both Redis connections the adapter needs (one publishes, one subscribes), connected. */
async function redisAdapter(io: Io, deps: Deps, url: string) {
  // Loaded only with REDIS_URL: a single node never pays for the client at start.
  const { createClient } = await import('redis');
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const c of [pub, sub])
    c.on('error', (err: Error) => deps.log.error({ err }, 'redis connection error'));
  await Promise.all([pub.connect(), sub.connect()]);
  // The deployment's own channels: another deployment on the same Redis hears none of them.
  io.adapter(createAdapter(pub, sub, { key: deps.config.REDIS_PREFIX }));
  return [pub, sub];
}

/**
 * This process as a realtime node: registered with a heartbeat, so other nodes' sweeps can tell
 * when it is gone. A graceful stop hands its participants over at once (they are away until
 * they reconnect elsewhere); a killed node is noticed after REALTIME_NODE_TTL_S.
 */
class GatewayNode {
  readonly id = `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly chat: ChatWriter;
  closing = false;
  private timer: NodeJS.Timeout | undefined;
  private beat: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly io: Io,
    private readonly deps: Deps,
  ) {
    // A batch's new messages of one session: one frame to all its sockets (the sender's too:
    // that is its answer when it sent without an acknowledgement) on every node.
    this.chat = new ChatWriter(deps, (sessionId, messages) =>
      io.to(room(sessionId)).emit('chat:messages', messages),
    );
  }

  async start() {
    await heartbeat(this.deps.db, this.id);
    this.timer = setInterval(
      () => {
        this.beat = heartbeat(this.deps.db, this.id).then(
          (alive) => {
            if (alive || this.closing) return;
            // Declared dead while alive (a long pause): its connections were dropped. Its clients
            // reconnect, which registers them again.
            this.deps.log.warn(
              { node: this.id },
              'realtime node had been declared dead: reconnecting its sockets',
            );
            this.io.local.disconnectSockets(true);
          },
          (err: unknown) =>
            this.deps.log.error({ err, node: this.id }, 'realtime heartbeat failed'),
        );
      },
      (this.deps.config.REALTIME_NODE_TTL_S * 1000) / 3,
    );
    this.timer.unref();
  }

  async stop() {
    this.closing = true;
    clearInterval(this.timer);
    await this.beat;
    await dropNode(this.deps, this.id).catch((err: unknown) =>
      this.deps.log.error({ err, node: this.id }, 'realtime node not dropped'),
    );
  }
}

/** Runs a handler and answers its acknowledgement: `{ok, data}` or `{ok: false, error}`. */
async function answer<T>(deps: Deps, ack: ((r: Ack<T>) => void) | undefined, fn: () => Promise<T>) {
  try {
    const data = await fn();
    ack?.({ ok: true, data });
  } catch (err) {
    ack?.({ ok: false, error: failure(deps, err) });
  }
}

/** What a handler's failure answers; one that is not an AppError is a bug, and logged. */
function failure(deps: Deps, err: unknown) {
  if (!(err instanceof AppError)) deps.log.error({ err }, 'realtime handler failed');
  return normaliseError(err).toBody().error;
}

/** `refused` for an event without an acknowledgement; a `chat:send` is named by its clientMsgId. */
function sendRefused(
  socket: RoomSocket,
  error: { code: string; message: string },
  payload?: unknown,
) {
  const clientMsgId = payload === undefined ? undefined : clientMsgIdOf(payload);
  socket.emit('refused', {
    code: error.code,
    message: error.message,
    ...(clientMsgId === undefined ? {} : { clientMsgId }),
  });
}

/** The `clientMsgId` of a payload not yet validated, if it has a usable one: what a refusal names. */
function clientMsgIdOf(payload: unknown): string | undefined {
  const id = (payload as { clientMsgId?: unknown } | null | undefined)?.clientMsgId;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
}

/** A `chat:send` that failed: its acknowledgement when it asked for one, else `refused` naming it. */
function refuseSend(
  deps: Deps,
  socket: RoomSocket,
  send: { ack: ((r: Ack<unknown>) => void) | undefined; err: unknown; payload: unknown },
) {
  const { ack, err, payload } = send;
  const error = failure(deps, err);
  if (ack) ack({ ok: false, error });
  else sendRefused(socket, error, payload);
}

type Handler = (
  socket: RoomSocket,
  p: Seat,
  payload: unknown,
  ack: ((r: Ack<unknown>) => void) | undefined,
) => void;

/**
 * What a participant's socket may send, and the one listener that takes it all. Every socket
 * shares the same functions (an any-listener is called with the socket as `this`; one array of
 * them for all sockets: any-listener.ts), so a connection holds no closures of its own: per
 * socket they were a tenth of a participant's memory (bench/realtime, docs/perf-log/).
 * Every incoming event spends a token first; over the limit it is refused, not queued.
 */
function participantEvents(deps: Deps, node: GatewayNode) {
  const { REALTIME_RATE_PER_S: rate, REALTIME_BURST: burst } = deps.config;

  /**
   * A `chat:send` on its way through the chat writer, answered once: by its acknowledgement when
   * the client asked for one; otherwise by the session's `chat:messages` frame (which reaches this
   * socket too), or by `refused` naming it. One object per message and no closures
   * (ChatSubmission); its participant is its socket's, and `deps` is this gateway's, shared.
   */
  class SocketSubmission implements ChatSubmission {
    constructor(
      private readonly socket: RoomSocket,
      readonly clientMsgId: string,
      readonly text: string,
      private readonly ack: ((r: Ack<unknown>) => void) | undefined,
    ) {}

    get p() {
      return this.socket.data as Seat;
    }

    get type() {
      return this.p.type;
    }

    // Without an acknowledgement the answer is the session's chat:messages frame, which reaches
    // this socket too — a retry's stored copy included (ChatWriter publishes it again).
    sent(message: ChatMessage) {
      if (this.ack) this.ack({ ok: true, data: message });
    }

    failed(err: unknown) {
      refuseSend(deps, this.socket, { ack: this.ack, err, payload: this });
    }
  }

  const handlers: Record<string, Handler> = {
    // Once per message, so without `answer`'s async wrappers: validated here, then stored and
    // answered through the chat writer (SocketSubmission).
    'chat:send': (socket, _p, payload, ack) => {
      let input;
      try {
        input = validate(ChatSend, payload, 'payload');
      } catch (err) {
        return refuseSend(deps, socket, { ack, err, payload });
      }
      node.chat.send(new SocketSubmission(socket, input.clientMsgId, input.text, ack));
    },
    resume: (_socket, p, payload, ack) =>
      answer(deps, ack, async () =>
        messagesAfter(
          deps.db,
          p.sessionId,
          validate(Resume, payload, 'payload').afterSeq,
          realtimeLimits.history,
        ),
      ),
    signal: (socket, p, payload, ack) =>
      answer(deps, ack, async () => {
        const signal = validate(SignalSend, payload, 'payload');
        checkSignal(p.type, signal);
        socket
          .to(roleRoom(p.sessionId, otherSide(p.role)))
          .emit('signal', { ...signal, from: p.role });
        return null;
      }),
    'media:state': (socket, p, payload) => {
      const r = MediaState.safeParse(payload);
      if (r.success)
        socket
          .to(roleRoom(p.sessionId, otherSide(p.role)))
          .emit('media:state', { role: p.role, ...r.data });
    },
    'session:end': (_socket, p, _payload, ack) =>
      answer(deps, ack, async () => {
        const s = await endSession(deps, await principalOf(deps.db, p), p.sessionId, undefined);
        return { state: s.state, endReason: s.endReason };
      }),
  };

  function dispatch(this: RoomSocket, event: string, ...args: unknown[]) {
    // Packets decoded before a disconnect can still arrive after it; socket.io drops those for
    // its own listeners, and so does this one.
    if (!this.connected) return;
    const p = this.data as Seat;
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as (r: Ack<unknown>) => void) : undefined;
    let payload = args.length > (ack ? 1 : 0) ? args[0] : undefined;
    if (!takeToken(p, rate, burst)) {
      const error = new AppError('rate_limited').toBody().error;
      if (ack) ack({ ok: false, error });
      else
        sendRefused(
          this,
          { code: error.code, message: `${error.message} (${event})` },
          event === 'chat:send' ? payload : undefined,
        );
      return;
    }
    // A connection acts on its own session only. A payload may name it (an SDK that always says
    // which session it means); naming another is refused, never applied to this one.
    if (payload !== null && typeof payload === 'object' && Object.hasOwn(payload, 'sessionId')) {
      const { sessionId, ...rest } = payload as { sessionId: unknown };
      if (sessionId !== p.sessionId) {
        const error = new AppError('forbidden', 'This connection is for another session.').toBody()
          .error;
        if (ack) ack({ ok: false, error });
        else sendRefused(this, error, event === 'chat:send' ? payload : undefined);
        return;
      }
      payload = rest;
    }
    // An event with no handler is ignored, as a socket.io listener that does not exist would.
    if (Object.hasOwn(handlers, event)) handlers[event]!(this, p, payload, ack);
  }

  function departed(this: RoomSocket) {
    void leave(deps, node, this.data as Seat, this.id);
  }

  const listen = anyListener(dispatch);
  return {
    connected(socket: RoomSocket, p: Seat) {
      void socket.join(roleRoom(p.sessionId, p.role));
      listen(socket);
      socket.on('disconnect', departed);
      const state = pending.get(socket)!;
      pending.delete(socket);
      socket.emit('session:state', state);
    },
  };
}

/** A socket that had arrived is gone. */
async function leave(deps: Deps, node: GatewayNode, p: Side, socketId: string) {
  // A closing node has handed all its sockets over already (GatewayNode.stop).
  if (node.closing) return;
  await depart(deps, p, socketId).catch((err: unknown) =>
    deps.log.error({ err, sessionId: p.sessionId }, 'realtime departure not recorded'),
  );
}
