import {
  realtimeProtocol,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@hourglass/protocol';
import { io, type Socket } from 'socket.io-client';
import { Emitter } from './emitter.ts';
import { refusalMessage } from './errors.ts';

type Payload<K extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[K]>[0];

export interface UserChannelEvents extends Record<string, unknown> {
  /** For an expert: a client asks for an on-demand session (answer before `expiresAt`). */
  request: Payload<'request:new'>;
  /** For a client: the expert's answer to their request, or its expiry. */
  answered: Payload<'request:answered'>;
  /** A new notification for this user (the same as `listNotifications` shows). */
  notification: Payload<'notification'>;
  connected: boolean;
  /** The handshake was refused (signed out, a stale CSRF token): it will not retry. */
  failed: { code: string; message: string };
}

export type UserChannelOptions = { baseUrl: string } & (
  | {
      /** The CSRF token from sign-in: the sign-in cookie alone does not open the channel. */
      csrfToken: string;
    }
  | {
      /**
       * A host platform's JWT for this user (HOST_JWT_*), asked for at each connection: the
       * server closes the channel when the token it opened with expires, and the channel
       * reconnects with a fresh one.
       */
      hostToken: () => string | Promise<string>;
    }
);

/**
 * A signed-in user's own live channel, outside any session room: what concerns them now
 * (an expert's incoming requests, a client's answers, notifications). Reconnects by itself; `close()` ends it.
 */
export class UserChannel extends Emitter<UserChannelEvents> {
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;

  constructor(options: UserChannelOptions) {
    super();
    this.socket = io(options.baseUrl, {
      path: '/socket.io',
      auth:
        'hostToken' in options
          ? (cb) =>
              void Promise.resolve(options.hostToken()).then((hostToken) =>
                cb({ channel: 'user', hostToken, v: realtimeProtocol.version }),
              )
          : { channel: 'user', csrfToken: options.csrfToken, v: realtimeProtocol.version },
      transports: ['websocket'],
      withCredentials: true,
    });
    this.socket.on('request:new', (p) => this.emit('request', p));
    this.socket.on('request:answered', (p) => this.emit('answered', p));
    this.socket.on('notification', (n) => this.emit('notification', n));
    this.socket.on('connect', () => this.emit('connected', true));
    this.socket.on('disconnect', (reason) => {
      this.emit('connected', false);
      // Closed by the server when a host token expired: open again with a fresh one.
      if (reason === 'io server disconnect' && 'hostToken' in options) this.socket.connect();
    });
    this.socket.on('connect_error', (err) => {
      // A refusal by the server is final (socket.io stops retrying after a middleware error).
      const data = (err as Error & { data?: { code?: string; details?: unknown } }).data;
      if (!this.socket.active)
        this.emit('failed', {
          code: data?.code ?? 'unavailable',
          message: refusalMessage(data?.code ?? '', err.message, data?.details),
        });
    });
  }

  get connected() {
    return this.socket.connected;
  }

  close() {
    this.socket.close();
  }
}
