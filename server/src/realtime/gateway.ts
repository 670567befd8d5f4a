import {
  ChatSend,
  MediaState,
  Resume,
  SignalSend,
  realtimeLimits,
  type Ack,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@hourglass/protocol';
import type { FastifyInstance } from 'fastify';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import type { Deps, Principal } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { normaliseError } from '../platform/http.ts';
import { validate } from '../platform/router.ts';
import { endSession, joinSession } from '../sessions/service.ts';
import { sessionsRepo } from '../sessions/repository.ts';
import { resolveJoinToken } from '../sessions/tokens.ts';
import { messagesAfter, sendMessage, type Participant } from './chat.ts';
import { tokenBucket } from './limits.ts';
import { deliverDomainEvents, presenceOf, roleRoom, room, roomState } from './room.ts';
import { checkSignal } from './signaling.ts';

type SocketData = Participant & { type: 'chat' | 'voice' | 'video' };
export type Io = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type RoomSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const Handshake = z.object({ token: z.string().min(1).max(200) });

/** A refusal as Socket.IO carries it to `connect_error`: `err.data = {code, details}`. */
function refusal(err: unknown): Error {
  const e = normaliseError(err);
  return Object.assign(new Error(e.message), { data: { code: e.code, ...(e.details === undefined ? {} : { details: e.details }) } });
}

/**
 * The realtime gateway (ARCHITECTURE §5, docs/PROTOCOL.md) on the API's HTTP server. A socket
 * authenticates with a join token, which also joins the session (D2: both joined → live), and
 * is put in exactly its session's room. Every payload is validated by the protocol's schemas.
 */
export function attachGateway(app: FastifyInstance, deps: Deps): Io {
  const io: Io = new Server(app.server, {
    path: '/socket.io',
    serveClient: false,
    // Larger frames are dropped by the transport before any handler sees them.
    maxHttpBufferSize: realtimeLimits.signalBytes * 2,
    // No connectionStateRecovery: resume is by chat seq from the database, which works across
    // nodes (the Redis adapter has no state recovery).
  });

  io.use(async (socket, next) => {
    try {
      const parsed = Handshake.safeParse(socket.handshake.auth);
      if (!parsed.success) fail('unauthenticated', 'Connect with auth: { token: <join token> }.');
      const now = await deps.clock.now(deps.db);
      const who = await resolveJoinToken(deps.db, parsed.data!.token, now);
      const open = await io.in(roleRoom(who.sessionId, who.role)).fetchSockets();
      if (open.length >= deps.config.REALTIME_MAX_SOCKETS) fail('too_many_connections', undefined, { max: deps.config.REALTIME_MAX_SOCKETS });
      const principal: Principal = { kind: 'participant', ...who };
      const joined = await joinSession(deps, principal, who.sessionId);
      socket.data = { ...who, type: joined.type };
      next();
    } catch (err) {
      if (!(err instanceof AppError)) deps.log.error({ err }, 'realtime handshake failed');
      next(refusal(err));
    }
  });

  io.on('connection', (socket) => void onConnection(deps, io, socket));
  const unsubscribe = deps.events.subscribe((e) => {
    deliverDomainEvents(io, deps, e).catch((err: unknown) => deps.log.error({ err, event: e.type }, 'realtime delivery failed'));
  });
  app.addHook('preClose', async () => {
    unsubscribe();
    io.local.disconnectSockets(true);
    // Not io.close(): that would also close the HTTP server, which Fastify closes itself.
    io.engine.close();
  });
  return io;
}

/** Runs a handler and answers its acknowledgement: `{ok, data}` or `{ok: false, error}`. */
async function answer<T>(deps: Deps, ack: ((r: Ack<T>) => void) | undefined, fn: () => Promise<T>) {
  try {
    const data = await fn();
    ack?.({ ok: true, data });
  } catch (err) {
    if (!(err instanceof AppError)) deps.log.error({ err }, 'realtime handler failed');
    ack?.({ ok: false, error: normaliseError(err).toBody().error });
  }
}

async function onConnection(deps: Deps, io: Io, socket: RoomSocket) {
  const p = socket.data;
  await socket.join([room(p.sessionId), roleRoom(p.sessionId, p.role)]);
  const bucket = tokenBucket(deps.config.REALTIME_RATE_PER_S, deps.config.REALTIME_BURST);
  // Every incoming event spends a token; over the limit the event is refused, not queued.
  socket.use(([event, ...args], next) => {
    if (bucket.take()) return next();
    const ack = args.at(-1);
    const error = new AppError('rate_limited').toBody().error;
    if (typeof ack === 'function') ack({ ok: false, error });
    else socket.emit('refused', { code: error.code, message: `${error.message} (${String(event)})` });
  });

  socket.on('chat:send', (payload, ack) =>
    answer(deps, ack, async () => {
      const { message, created } = await sendMessage(deps, p, validate(ChatSend, payload, 'payload'));
      if (created) socket.to(room(p.sessionId)).emit('chat:message', message);
      return message;
    }),
  );
  socket.on('resume', (payload, ack) =>
    answer(deps, ack, async () => messagesAfter(deps.db, p.sessionId, validate(Resume, payload, 'payload').afterSeq, realtimeLimits.history)),
  );
  socket.on('signal', (payload, ack) =>
    answer(deps, ack, async () => {
      const signal = validate(SignalSend, payload, 'payload');
      checkSignal(p.type, signal);
      socket.to(room(p.sessionId)).emit('signal', { ...signal, from: p.role });
      return null;
    }),
  );
  socket.on('media:state', (payload) => {
    const r = MediaState.safeParse(payload);
    if (r.success) socket.to(room(p.sessionId)).emit('media:state', { role: p.role, ...r.data });
  });
  socket.on('session:end', (_payload, ack) =>
    answer(deps, ack, async () => {
      const s = await endSession(deps, { kind: 'participant', ...p }, p.sessionId, undefined);
      return { state: s.state, endReason: s.endReason };
    }),
  );
  socket.on('disconnect', () => void announcePresence(deps, io, p));

  try {
    socket.emit('session:state', await roomState(deps, io, p));
    await announcePresence(deps, io, p);
  } catch (err) {
    deps.log.error({ err, sessionId: p.sessionId }, 'realtime state failed');
    socket.disconnect(true);
  }
}

/** Tells the room where one participant stands now (any node's sockets count: fetchSockets). */
async function announcePresence(deps: Deps, io: Io, p: Participant) {
  try {
    const s = await sessionsRepo.byId(deps.db, p.sessionId);
    if (s) io.to(room(p.sessionId)).emit('presence', await presenceOf(io, s, p.role));
  } catch (err) {
    deps.log.warn({ err, sessionId: p.sessionId }, 'presence not announced');
  }
}
