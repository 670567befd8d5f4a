import type { NotificationKind, WebhookEventType } from '@hourglass/protocol';
import type { DomainEvent, SessionRef } from '../platform/events.ts';

export interface NotificationDraft {
  userId: string;
  kind: NotificationKind;
  sessionId: string | null;
  data: Record<string, unknown>;
}

export interface WebhookDraft {
  type: WebhookEventType;
  data: Record<string, unknown>;
}

export interface Described {
  notifications: NotificationDraft[];
  webhook: WebhookDraft | null;
}

const nothing: Described = { notifications: [], webhook: null };

/** The fields of an event other than its type: what a webhook carries as `data`. */
function body(e: DomainEvent): Record<string, unknown> {
  const { type: _type, ...rest } = e;
  return rest;
}

/** Who hears of a change one side made: the other side; both when an operator or the system made it. */
function othersOf(e: SessionRef, by: string): string[] {
  if (by === 'client') return [e.expertId];
  if (by === 'expert') return [e.clientId];
  return [e.clientId, e.expertId];
}

function toUsers(
  e: SessionRef,
  users: string[],
  kind: NotificationKind,
  data: Record<string, unknown>,
): NotificationDraft[] {
  return users.map((userId) => ({
    userId,
    kind,
    sessionId: e.sessionId,
    data: { sessionType: e.sessionType, sessionKind: e.kind, ...data },
  }));
}

/**
 * F1 and the webhooks, as a pure function: which users are told what, and which webhook event
 * goes out, for one domain event. Events no one is told of (presence, per-minute charges, the
 * clock pausing) give nothing; docs/PROTOCOL.md "Notifications and webhooks" has the table.
 */
export function describe(e: DomainEvent): Described {
  switch (e.type) {
    case 'request.created':
      return {
        notifications: toUsers(e, [e.expertId], 'request_new', { expiresAt: e.expiresAt }),
        webhook: { type: 'request.created', data: body(e) },
      };
    case 'request.answered':
      return {
        notifications: toUsers(e, [e.clientId], `request_${e.state}`, {}),
        webhook: { type: `request.${e.state}`, data: body(e) },
      };
    case 'session.booked':
      return {
        notifications: toUsers(e, [e.expertId], 'booking_new', {
          scheduledAt: e.scheduledAt,
          price: e.price,
        }),
        webhook: { type: 'booking.created', data: body(e) },
      };
    case 'session.rescheduled':
      return {
        notifications: toUsers(e, othersOf(e, e.by), 'booking_rescheduled', {
          from: e.from,
          to: e.to,
          by: e.by,
        }),
        webhook: { type: 'booking.rescheduled', data: body(e) },
      };
    case 'session.cancelled':
      return {
        notifications: toUsers(e, othersOf(e, e.by), 'booking_cancelled', {
          by: e.by,
          refundPercent: e.refundPercent,
        }),
        webhook: { type: 'booking.cancelled', data: body(e) },
      };
    case 'session.started':
      return {
        notifications: toUsers(e, [e.clientId, e.expertId], 'session_started', {
          startedAt: e.startedAt,
          endsAt: e.endsAt,
        }),
        webhook: { type: 'session.started', data: body(e) },
      };
    case 'session.extended':
      // A deadline that moved because the clock resumed after a pause is no news to anyone.
      if (e.minutes === null) return nothing;
      return {
        notifications: toUsers(e, [e.clientId, e.expertId], 'session_extended', {
          minutes: e.minutes,
          endsAt: e.endsAt,
        }),
        webhook: { type: 'session.extended', data: body(e) },
      };
    case 'session.ended':
      return {
        notifications: toUsers(e, [e.clientId, e.expertId], 'session_ended', {
          reason: e.reason,
          endedAt: e.endedAt,
        }),
        webhook: { type: 'session.ended', data: body(e) },
      };
    case 'session.no_show':
      return {
        notifications: toUsers(e, [e.clientId, e.expertId], 'session_no_show', {
          absent: e.absent,
        }),
        webhook: { type: 'session.no_show', data: body(e) },
      };
    case 'wallet.credited':
      return {
        notifications: [
          {
            userId: e.userId,
            kind: 'wallet_credited',
            sessionId: null,
            data: { amount: e.amount, balance: e.balance },
          },
        ],
        webhook: { type: 'wallet.credited', data: body(e) },
      };
    case 'escrow.refunded':
      return {
        notifications: toUsers(e, [e.clientId], 'escrow_refunded', { amount: e.amount }),
        webhook: { type: 'escrow.refunded', data: body(e) },
      };
    case 'escrow.released':
      return {
        notifications: toUsers(e, [e.expertId], 'escrow_released', { amount: e.amount }),
        webhook: { type: 'escrow.released', data: body(e) },
      };
    case 'session.paused':
    case 'presence.changed':
    case 'billing.charged':
    case 'billing.low_balance':
    case 'notification.created':
    case 'file.shared':
    case 'chat.head':
    case 'access.revoked':
    case 'user.disabled':
      return nothing;
  }
}
