import type { ClientToServerEvents, ServerToClientEvents } from '@hourglass/protocol';
import type { Server, Socket } from 'socket.io';
import type { Seat } from './seat.ts';

/** A participant's socket keeps its Seat; a user's own channel, who they are. */
export type SocketData =
  | Seat
  /** A user's own channel; `validForMs`: how long its credential (a host JWT) is good. */
  | { userId: string; role: 'client' | 'expert' | 'admin'; validForMs: number | undefined };
/** The gateway's Socket.IO server, typed by the protocol's events. */
export type Io = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type RoomSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
