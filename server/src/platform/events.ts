import { EventEmitter } from 'node:events';
import type { SessionFile } from '@hourglass/protocol';
import type { Database } from '../db/connect.ts';

/** Who and what a session event is about: enough for a notification or a webhook without reading the row again. */
export interface SessionRef {
  sessionId: string;
  clientId: string;
  expertId: string;
  kind: 'scheduled' | 'on_demand';
  sessionType: 'chat' | 'voice' | 'video';
}

/** The reference of a session row, for the events below. */
export const refOf = (s: {
  id: string;
  client_id: string;
  expert_id: string;
  kind: SessionRef['kind'];
  type: SessionRef['sessionType'];
}): SessionRef => ({
  sessionId: s.id,
  clientId: s.client_id,
  expertId: s.expert_id,
  kind: s.kind,
  sessionType: s.type,
});

/**
 * What happened, for whoever listens: the realtime gateway pushes these to the room, tests
 * await them. Published only after the transaction that caused them has committed.
 */
export type DomainEvent =
  | (SessionRef & { type: 'session.booked'; scheduledAt: string; price: number })
  | (SessionRef & { type: 'session.rescheduled'; from: string; to: string; by: string })
  | (SessionRef & { type: 'session.cancelled'; by: string; refundPercent: number })
  | (SessionRef & { type: 'session.no_show'; absent: 'client' | 'expert' })
  | (SessionRef & { type: 'session.started'; startedAt: string; endsAt: string | null })
  | (SessionRef & { type: 'session.ended'; reason: string; endedAt: string })
  | { type: 'session.paused'; sessionId: string; pausedAt: string }
  /** `minutes`: a paid extension; null when the clock resumed after a pause and the deadline moved with it. */
  | (SessionRef & {
      type: 'session.extended';
      endsAt: string | null;
      paidUntil: string | null;
      minutes: number | null;
    })
  | {
      type: 'presence.changed';
      sessionId: string;
      role: 'client' | 'expert';
      status: 'present' | 'away';
      since: string | null;
    }
  | {
      type: 'billing.charged';
      sessionId: string;
      minute: number;
      amount: number;
      balance: number;
      paidUntil: string;
    }
  | { type: 'billing.low_balance'; sessionId: string; balance: number; minutesLeft: number }
  | (SessionRef & { type: 'request.created'; expiresAt: string })
  | (SessionRef & { type: 'request.answered'; state: 'accepted' | 'declined' | 'expired' })
  | { type: 'wallet.credited'; userId: string; amount: number; balance: number }
  | (SessionRef & { type: 'escrow.released'; amount: number })
  | (SessionRef & { type: 'escrow.refunded'; amount: number })
  | { type: 'file.shared'; sessionId: string; file: SessionFile }
  /** Join links of these sides were revoked: the connections they opened are closed. */
  | { type: 'access.revoked'; sessionId: string; roles: ('client' | 'expert')[] }
  /** A user was disabled: their connections — their own channel and each seat they hold — are closed. */
  | {
      type: 'user.disabled';
      userId: string;
      seats: { sessionId: string; role: 'client' | 'expert' }[];
    }
  /** A node that held a socket of the session is gone: the latest seq, for clients to check theirs against. */
  | { type: 'chat.head'; sessionId: string; seq: number }
  /** A stored notification (notify/), for the user's own live channel. */
  | { type: 'notification.created'; userId: string; notification: StoredNotification };

export interface StoredNotification {
  id: string;
  kind: string;
  sessionId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
  readAt: null;
}

/**
 * Writes what must outlive the process (notifications, webhook deliveries) in the transaction
 * that made the events, so they exist exactly when the change does. Returns further events to
 * publish after the commit.
 */
export type EventRecorder = (
  trx: Database,
  now: Date,
  events: readonly DomainEvent[],
) => Promise<DomainEvent[]>;

export class DomainEvents {
  private readonly emitter = new EventEmitter();
  private recorder: EventRecorder | undefined;
  publish(events: readonly DomainEvent[]): void {
    for (const e of events) this.emitter.emit('event', e);
  }
  subscribe(listener: (e: DomainEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
  /** Set once at start (app.ts): the durable side of every outbox. */
  setRecorder(recorder: EventRecorder): void {
    this.recorder = recorder;
  }
  /** Called inside the transaction, just before it commits (platform/transaction.ts). */
  async record(trx: Database, now: Date, events: readonly DomainEvent[]): Promise<DomainEvent[]> {
    return this.recorder && events.length > 0 ? this.recorder(trx, now, events) : [];
  }
}
