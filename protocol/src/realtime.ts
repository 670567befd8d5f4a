import { z } from 'zod';
import { Id, Minor, Timestamp } from './common.ts';
import { SessionType } from './people.ts';
import { Capabilities, EndReason, ParticipantRole, SessionState } from './sessions.ts';
import type { SessionFile } from './files.ts';
import type { Notification } from './notify.ts';

/**
 * The realtime protocol (docs/PROTOCOL.md, "Realtime"): Socket.IO events and their
 * payloads. The gateway validates every incoming payload with these schemas; the SDK's
 * SessionRoom is typed by them. Limits are part of the protocol, so clients can check first.
 */
export const realtimeLimits = {
  /** Characters of one chat message. */
  chatText: 4000,
  /** Bytes of one `signal` payload (an SDP with many candidates fits well inside). */
  signalBytes: 64 * 1024,
  /** Messages returned by `session:state` and by one `resume`. */
  history: 200,
} as const;

/**
 * The realtime protocol's version. A client sends it in its handshake (`auth.v`); the server
 * serves every version from `oldest` to `version` and refuses others with
 * `protocol_mismatch` (`details: {client, oldest, newest}`): a client too old is told to
 * reload, one too new (a server not yet upgraded) to try again shortly. A handshake without
 * `v` is version 1, the protocol before versions were sent. Raise `version` when a change would
 * mislead an older client; raise `oldest` when the server stops serving one.
 *
 * 2: `chat:head`; a retry's stored copy sent to the whole session; the room's connections
 *    closed after `session:ended` and when a link is revoked.
 */
export const realtimeProtocol = { version: 2, oldest: 1 } as const;
export const ProtocolVersion = z.number().int().min(0).max(1000);

export const ChatMessage = z.object({
  seq: z.number().int().positive().describe('Per-session order, from 1, without gaps'),
  id: Id,
  clientMsgId: z.string(),
  from: ParticipantRole,
  text: z.string(),
  sentAt: Timestamp,
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const RoomPresence = z.object({
  role: ParticipantRole,
  status: z
    .enum(['present', 'away', 'absent'])
    .describe('absent: never joined; away: joined, no connection now'),
  since: Timestamp.nullable().describe('away: when the last connection dropped'),
});
export type RoomPresence = z.infer<typeof RoomPresence>;

export const Timer = z.object({
  startedAt: Timestamp.nullable(),
  endsAt: Timestamp.nullable().describe('Scheduled sessions: the deadline'),
  paidUntil: Timestamp.nullable().describe('On-demand sessions: the end of the paid time'),
  pausedAt: Timestamp.nullable().describe(
    'Set while the clock is stopped (a participant away past the grace); endsAt/paidUntil move on by the pause when it ends',
  ),
  serverNow: Timestamp,
});
export type Timer = z.infer<typeof Timer>;

export const SessionStatePayload = z.object({
  sessionId: Id,
  you: ParticipantRole,
  type: SessionType,
  state: SessionState,
  endReason: EndReason.nullable(),
  capabilities: Capabilities,
  ratePerMinute: Minor.nullable(),
  participants: z.array(RoomPresence),
  timer: Timer,
  balance: Minor.nullable().describe("The client's wallet balance; null for the expert"),
  money: z.object({
    spent: Minor.nullable().describe(
      'What the client has paid for this session so far (its minutes, or its price and extensions in escrow), less refunds; null for the expert',
    ),
    earned: Minor.nullable().describe(
      "The expert's share of this session so far, after the platform's fee (a scheduled session's is paid out after the dispute window); null for the client",
    ),
    expertPercent: z
      .number()
      .int()
      .min(0)
      .max(100)
      .nullable()
      .describe(
        "The expert's share of each charge, in percent (the room adds each minute's); null for the client",
      ),
  }),
  extensionMinutes: z
    .array(z.number().int())
    .describe(
      'The lengths the client may buy (EXTENSION_MINUTES) for a scheduled session; empty for the expert and on demand',
    ),
  messages: z.array(ChatMessage).describe('The most recent messages, oldest first'),
});
export type SessionStatePayload = z.infer<typeof SessionStatePayload>;

// Client → server. Strict: an unknown field is a client bug worth hearing about.
export const ChatSend = z.strictObject({
  clientMsgId: z
    .string()
    .min(1)
    .max(64)
    .describe('Chosen by the client; a retry with the same id is the same message'),
  text: z.string().trim().min(1).max(realtimeLimits.chatText),
});
export const Resume = z.strictObject({ afterSeq: z.number().int().min(0) });
export const SignalSend = z.union([
  z.strictObject({
    description: z.strictObject({
      type: z.enum(['offer', 'answer', 'pranswer', 'rollback']),
      sdp: z.string().optional(),
    }),
  }),
  z.strictObject({
    candidate: z
      .strictObject({
        candidate: z.string(),
        sdpMid: z.string().nullable().optional(),
        sdpMLineIndex: z.number().int().min(0).nullable().optional(),
        usernameFragment: z.string().nullable().optional(),
      })
      .nullable(),
  }),
]);
export type SignalSend = z.infer<typeof SignalSend>;
export const MediaState = z.strictObject({ audio: z.boolean(), video: z.boolean() });

/** The answer to every client → server event that takes an acknowledgement. */
export type Ack<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string; details?: unknown } };

export interface ClientToServerEvents {
  /**
   * Without an acknowledgement (the SDK's way) the answer is the message in the session's next
   * `chat:messages` (or `refused` with this clientMsgId); with one, the stored message as well.
   */
  'chat:send': (payload: z.input<typeof ChatSend>, ack?: (r: Ack<ChatMessage>) => void) => void;
  resume: (
    payload: z.input<typeof Resume>,
    ack: (r: Ack<{ messages: ChatMessage[]; more: boolean }>) => void,
  ) => void;
  signal: (payload: SignalSend, ack?: (r: Ack<null>) => void) => void;
  'media:state': (payload: z.input<typeof MediaState>) => void;
  'session:end': (
    payload: Record<string, never>,
    ack: (r: Ack<{ state: string; endReason: string | null }>) => void,
  ) => void;
}

export interface ServerToClientEvents {
  'session:state': (s: SessionStatePayload) => void;
  /**
   * New messages of the session in seq order, to every socket of it — the sender's too: a
   * batch's messages of one session in one frame. A retry of a stored message is sent to the
   * whole session again (the node that stored it may have died before publishing it): a client
   * keeps one copy per seq. Seqs are contiguous, so a frame that skips one shows a gap: ask
   * `resume` from the last seq held without a gap.
   */
  'chat:messages': (messages: ChatMessage[]) => void;
  /**
   * The session's latest seq, sent when a node that held one of its sockets is gone (killed or
   * stopped): what that node stored last may never have been published. A client holding less
   * asks `resume`.
   */
  'chat:head': (p: { seq: number }) => void;
  signal: (p: SignalSend & { from: 'client' | 'expert' }) => void;
  'media:state': (p: { role: 'client' | 'expert'; audio: boolean; video: boolean }) => void;
  presence: (p: RoomPresence) => void;
  'session:started': (p: {
    startedAt: string;
    endsAt: string | null;
    paidUntil: string | null;
    serverNow: string;
  }) => void;
  /** The clock stopped: a participant has been away longer than the grace. */
  'session:paused': (p: { pausedAt: string; serverNow: string }) => void;
  /** A deadline moved (the clock resumed after a pause; a paid extension). */
  'session:extended': (p: {
    endsAt: string | null;
    paidUntil: string | null;
    serverNow: string;
  }) => void;
  'session:ended': (p: { reason: string; endedAt: string }) => void;
  'billing:charged': (p: {
    minute: number;
    amount: number;
    balance: number | null;
    paidUntil: string;
  }) => void;
  'session:low_balance': (p: { balance: number | null; minutesLeft: number }) => void;
  /** User channel (`auth: {channel: 'user', csrfToken}`, signed in): an on-demand request for this expert. */
  'request:new': (p: {
    sessionId: string;
    clientId: string;
    type: string;
    expiresAt: string;
  }) => void;
  /** User channel: the expert's answer to this client's request (or its expiry). */
  'request:answered': (p: {
    sessionId: string;
    state: 'accepted' | 'declined' | 'expired';
  }) => void;
  /** A participant shared a file in the session (D9): fetch it through a link (`fileLink`). */
  'file:shared': (f: SessionFile) => void;
  /** User channel: a new notification for this user (F1); the same as the list shows. */
  notification: (n: Notification) => void;
  /** A refusal that is not the answer to an acknowledged event (a rate limit, a bad payload). */
  refused: (e: { code: string; message: string; clientMsgId?: string }) => void;
}

export const IceServer = z.object({
  urls: z.array(z.string()),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export const IceServers = z.object({
  iceServers: z.array(IceServer).describe('For RTCPeerConnection({ iceServers })'),
  expiresAt: Timestamp.nullable().describe(
    'When the TURN credentials stop working; null without TURN',
  ),
});
export type IceServers = z.infer<typeof IceServers>;
