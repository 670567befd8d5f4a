import type {
  Ack,
  ClientToServerEvents,
  ServerToClientEvents,
  SessionStatePayload,
} from '@hourglass/protocol';
import { io, type Socket } from 'socket.io-client';

export type RoomClient = Socket<ServerToClientEvents, ClientToServerEvents>;

const open = (url: string, auth: unknown, headers?: Record<string, string>): RoomClient =>
  io(url, {
    path: '/socket.io',
    auth: auth as Record<string, unknown>,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(headers && { extraHeaders: headers }),
  });

/** A signed-in user's own channel: `signedIn` is what test-support's signIn returns (cookie + CSRF token). */
export function connectUser(
  url: string,
  signedIn: { cookie: string; 'x-csrf-token': string },
  csrfToken = signedIn['x-csrf-token'],
): Promise<RoomClient> {
  const socket = open(url, { channel: 'user', csrfToken }, { cookie: signedIn.cookie });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(Object.assign(err, (err as Error & { data?: object }).data));
    });
  });
}

/** Connects with a join token (and `auth`'s other fields) and resolves with the socket once `session:state` has arrived. */
export function connectRoom(
  url: string,
  token: string,
  auth: Record<string, unknown> = {},
): Promise<{ socket: RoomClient; state: SessionStatePayload }> {
  const socket = open(url, { ...auth, token });
  return new Promise((resolve, reject) => {
    socket.once('session:state', (state) => resolve({ socket, state }));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Connects with `auth` and resolves with the refusal's code (`connect_error` data). */
export function refusalOf(
  url: string,
  auth: unknown,
): Promise<{ code: string; details?: unknown }> {
  const socket = open(url, auth);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.close();
      reject(new Error('connected, but a refusal was expected'));
    });
    socket.once('connect_error', (err) => {
      socket.close();
      resolve((err as Error & { data: { code: string; details?: unknown } }).data);
    });
  });
}

type Payload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

/** The next `event` on `socket` (that satisfies `match`, if given), or a rejection after `ms`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: RoomClient,
  event: E,
  match: (p: Payload<E>) => boolean = () => true,
  ms = 2000,
): Promise<Payload<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on as never);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const on = (payload: Payload<E>) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, on as never);
      resolve(payload);
    };
    socket.on(event, on as never);
  });
}

/** Sends an acknowledged event and resolves with the server's answer. */
export function request<T>(
  socket: RoomClient,
  event: 'chat:send' | 'resume' | 'signal' | 'session:end',
  payload: unknown,
): Promise<Ack<T>> {
  return new Promise((resolve) =>
    (socket.emit as (...a: unknown[]) => void)(event, payload, (r: Ack<T>) => resolve(r)),
  );
}

/** Collects every `event` on `socket` from now on. */
export function collect<E extends keyof ServerToClientEvents>(
  socket: RoomClient,
  event: E,
): Payload<E>[] {
  const seen: Payload<E>[] = [];
  socket.on(event, ((p: Payload<E>) => seen.push(p)) as never);
  return seen;
}
