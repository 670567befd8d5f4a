import { z } from 'zod';
import { Id, PageQuery, Timestamp, page } from './common.ts';

/**
 * F1: what a user is told, stored per user and pushed on their own channel. Per-minute charges
 * and low balance are not notifications: the room shows them live (`billing:charged`).
 */
export const NotificationKind = z.enum([
  'request_new', // expert: a client asks for an on-demand session
  'request_accepted', // client
  'request_declined', // client
  'request_expired', // client
  'booking_new', // expert: a paid booking
  'booking_rescheduled', // the other side of who moved it
  'booking_cancelled', // the other side of who cancelled (both, when an operator did)
  'session_started', // both
  'session_extended', // both: paid minutes added
  'session_ended', // both
  'session_no_show', // both
  'wallet_credited', // client: a top-up or a credit arrived
  'escrow_refunded', // client: money back in the wallet
  'escrow_released', // expert: earnings now available
]);
export type NotificationKind = z.infer<typeof NotificationKind>;

export const Notification = z.object({
  id: Id,
  kind: NotificationKind,
  sessionId: Id.nullable(),
  counterpartName: z
    .string()
    .nullable()
    .describe("The other participant's name, for a session's notification"),
  data: z
    .record(z.string(), z.unknown())
    .describe('Kind-specific facts: amounts (minor units), times, reasons'),
  createdAt: Timestamp,
  readAt: Timestamp.nullable(),
});
export type Notification = z.infer<typeof Notification>;

export const NotificationsQuery = PageQuery.extend({
  unread: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('Only unread ones'),
});
export const NotificationsPage = page(Notification).extend({
  unreadCount: z.number().int().nonnegative(),
});
export const MarkReadBody = z.union([
  z.strictObject({ ids: z.array(Id).min(1).max(100) }),
  z.strictObject({ all: z.literal(true) }),
]);
export const UnreadCount = z.object({ unreadCount: z.number().int().nonnegative() });

/** The events a host platform can subscribe to (outbound webhooks). */
export const WebhookEventType = z.enum([
  'booking.created',
  'booking.rescheduled',
  'booking.cancelled',
  'request.created',
  'request.accepted',
  'request.declined',
  'request.expired',
  'session.started',
  'session.extended',
  'session.ended',
  'session.no_show',
  'escrow.released',
  'escrow.refunded',
  'wallet.credited',
]);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** The body of every webhook delivery: signed in `Hourglass-Signature: t=…,v1=…` (docs/PROTOCOL.md). */
export const WebhookEvent = z.object({
  id: Id.describe('The same in every retry of this event: receivers deduplicate on it'),
  type: WebhookEventType,
  createdAt: Timestamp,
  data: z.record(z.string(), z.unknown()),
});
export type WebhookEvent = z.infer<typeof WebhookEvent>;

export const WebhookSubscriptionBody = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  eventTypes: z.array(WebhookEventType).min(1).max(WebhookEventType.options.length),
  description: z.string().trim().max(200).optional(),
});
export const WebhookSubscription = z.object({
  id: Id,
  url: z.string(),
  eventTypes: z.array(WebhookEventType),
  description: z.string().nullable(),
  createdAt: Timestamp,
  disabledAt: Timestamp.nullable(),
});
export const CreatedWebhookSubscription = WebhookSubscription.extend({
  secret: z.string().describe('The signing secret (whsec_…): shown once, keep it on the receiver'),
});
export const WebhookDelivery = z.object({
  id: Id,
  subscriptionId: Id,
  eventId: Id,
  eventType: WebhookEventType,
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatus: z
    .number()
    .int()
    .nullable()
    .describe("The receiver's last HTTP status (null: no answer)"),
  lastError: z.string().nullable(),
  nextAttemptAt: Timestamp.nullable(),
  deliveredAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export const DeliveriesQuery = PageQuery.extend({
  state: z.enum(['pending', 'delivered', 'failed']).optional(),
});
export const WebhookParams = z.strictObject({ id: Id });
export const deliveriesPage = page(WebhookDelivery);
