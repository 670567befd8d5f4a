import { z } from 'zod';
import { Id, Minor, Timestamp } from './common.ts';
import { Role, SessionType } from './people.ts';

export const SessionKind = z.enum(['scheduled', 'on_demand']);
export type SessionKind = z.infer<typeof SessionKind>;

/** docs/ARCHITECTURE.md, "Sessions". `live` starts when both participants have joined. */
export const SessionState = z.enum([
  'requested',
  'accepted',
  'booked',
  'open',
  'live',
  'ended',
  'declined',
  'expired',
  'cancelled',
  'no_show',
]);
export type SessionState = z.infer<typeof SessionState>;

export const EndReason = z.enum([
  'completed',
  'ended_by_client',
  'ended_by_expert',
  'ended_by_admin',
  'time_up',
  'insufficient_funds',
  'participant_lost',
]);
export type EndReason = z.infer<typeof EndReason>;

export const ParticipantRole = z.enum(['client', 'expert']);
export type ParticipantRole = z.infer<typeof ParticipantRole>;

/** What the booked type allows: the server refuses media signaling a type does not carry. */
export const Capabilities = z.object({ chat: z.boolean(), audio: z.boolean(), video: z.boolean() });
export type Capabilities = z.infer<typeof Capabilities>;

export const Session = z.object({
  id: Id,
  kind: SessionKind,
  type: SessionType,
  state: SessionState,
  endReason: EndReason.nullable(),
  clientId: Id,
  expertId: Id,
  capabilities: Capabilities,
  ratePerMinute: Minor.nullable(),
  price: Minor.nullable(),
  durationMinutes: z.number().int().nullable(),
  scheduledAt: Timestamp.nullable(),
  startedAt: Timestamp.nullable(),
  endsAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  clientJoinedAt: Timestamp.nullable(),
  expertJoinedAt: Timestamp.nullable(),
  notes: z.string().nullable(),
  createdAt: Timestamp,
  serverNow: Timestamp.describe('The server clock when this snapshot was taken'),
});
export type Session = z.infer<typeof Session>;

export const CreateSessionBody = z
  .strictObject({
    kind: SessionKind,
    type: SessionType,
    clientId: Id,
    expertId: Id,
    scheduledAt: Timestamp.optional().describe('Required for scheduled sessions'),
    durationMinutes: z
      .union([z.literal(15), z.literal(30), z.literal(45), z.literal(60)])
      .optional()
      .describe('Required for scheduled sessions: 15, 30, 45 or 60'),
    linkValidUntil: Timestamp.optional().describe(
      'Defaults to the end of the start window, or 24 h',
    ),
  })
  .superRefine((body, ctx) => {
    if (body.kind === 'scheduled' && (!body.scheduledAt || !body.durationMinutes)) {
      ctx.addIssue({
        code: 'custom',
        message: 'scheduled sessions need scheduledAt and durationMinutes',
      });
    }
    if (body.clientId === body.expertId) {
      ctx.addIssue({
        code: 'custom',
        message: 'client and expert must differ',
        path: ['expertId'],
      });
    }
  });

export const JoinLink = z.object({
  role: ParticipantRole,
  token: z.string().describe('Shown once; only its hash is stored'),
  url: z.string(),
  validUntil: Timestamp,
});
export const JoinLinks = z.object({ client: JoinLink, expert: JoinLink });
export const CreatedSession = z.object({ session: Session, links: JoinLinks });

export const TokenQuery = z.strictObject({ token: z.string().min(1).max(200) });
export const StartWindow = z.object({ opensAt: Timestamp, closesAt: Timestamp });
export const TokenCheck = z.object({
  session: Session,
  participant: z.object({ role: ParticipantRole, userId: Id, name: z.string() }),
  counterpart: z.object({ role: ParticipantRole, userId: Id, name: z.string() }),
  startWindow: StartWindow.nullable(),
  canJoinNow: z.boolean(),
});

/** B4: a row of "my sessions": the session, who is on the other side, and when it can be joined. */
export const MySession = Session.extend({
  counterpart: z.object({ role: ParticipantRole, userId: Id, name: z.string() }),
  startWindow: StartWindow.nullable().describe('Scheduled sessions: when joining opens and closes'),
  canJoinNow: z.boolean(),
  requestExpiresAt: Timestamp.nullable().describe(
    'An unanswered on-demand request: when it expires',
  ),
});
export type MySession = z.infer<typeof MySession>;

export const EndBody = z.strictObject({
  notes: z.string().max(10_000).optional().describe('Session notes kept with the final record'),
});
export const RevokeTokenBody = z.strictObject({ role: ParticipantRole });

export const SessionEvent = z.object({
  id: z.string().describe('The event id, or for a charge its ledger transfer id'),
  sessionId: Id,
  at: Timestamp,
  actorId: Id.nullable(),
  actorRole: z.union([Role, z.literal('system'), z.literal('api_key')]),
  kind: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export const SessionEvents = z.object({ items: z.array(SessionEvent) });

export const MySessionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  state: z
    .string()
    .max(200)
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(',').map((x) => x.trim())))
    .pipe(z.array(SessionState).min(1).optional())
    .describe('Comma-separated states, e.g. booked,open'),
  from: Timestamp.optional().describe(
    "Sessions at or after (a scheduled session's time, else its creation)",
  ),
  to: Timestamp.optional().describe('Sessions before'),
});

/** F2: the client's rating of the expert after a completed session, once. */
export const RatingBody = z.strictObject({
  stars: z.number().int().min(1).max(5),
  text: z.string().trim().max(2000).default(''),
});
/** F3: the expert's summary after the session (both read it), or one's own private notes. */
export const NoteBody = z.strictObject({
  text: z.string().max(10_000).describe('Plain text; an empty text clears it'),
});
export const Note = z.object({
  sessionId: Id,
  kind: z.enum(['summary', 'private']),
  text: z.string(),
  updatedAt: Timestamp.nullable().describe('null: nothing written yet'),
});
export type Note = z.infer<typeof Note>;

export const Rating = z.object({
  sessionId: Id,
  stars: z.number().int(),
  text: z.string(),
  createdAt: Timestamp,
});
