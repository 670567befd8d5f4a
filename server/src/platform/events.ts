import { EventEmitter } from 'node:events';

/**
 * What happened, for whoever listens: the realtime gateway pushes these to the room, tests
 * await them. Published only after the transaction that caused them has committed.
 */
export type DomainEvent =
  | { type: 'session.started'; sessionId: string; startedAt: string; endsAt: string | null }
  | { type: 'session.ended'; sessionId: string; reason: string; endedAt: string }
  | { type: 'session.paused'; sessionId: string; pausedAt: string }
  | { type: 'session.extended'; sessionId: string; endsAt: string | null; paidUntil: string | null }
  | { type: 'presence.changed'; sessionId: string; role: 'client' | 'expert'; status: 'present' | 'away'; since: string | null }
  | { type: 'billing.charged'; sessionId: string; minute: number; amount: number; balance: number; paidUntil: string }
  | { type: 'billing.low_balance'; sessionId: string; balance: number; minutesLeft: number }
  | { type: 'request.created'; sessionId: string; expertId: string; clientId: string; sessionType: string; expiresAt: string }
  | { type: 'request.answered'; sessionId: string; clientId: string; state: 'accepted' | 'declined' | 'expired' }
  | { type: 'wallet.credited'; userId: string; amount: number; balance: number }
  | { type: 'escrow.released'; sessionId: string; expertId: string; amount: number }
  | { type: 'escrow.refunded'; sessionId: string; clientId: string; amount: number };

export class DomainEvents {
  private readonly emitter = new EventEmitter();
  publish(events: readonly DomainEvent[]): void {
    for (const e of events) this.emitter.emit('event', e);
  }
  subscribe(listener: (e: DomainEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
