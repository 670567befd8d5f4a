import type { Database } from '../db/connect.ts';
import type { DomainEvent, EventRecorder } from '../platform/events.ts';
import type { Ids } from '../platform/ids.ts';
import { describe } from './rules.ts';
import { enqueueWebhooks } from './webhooks.ts';

/**
 * The durable side of every outbox (platform/transaction.ts): notifications and webhook
 * deliveries are inserted in the transaction that made the events. Events that concern no one
 * cost no query. The stored notifications come back as events, for the users' live channels.
 */
export function notifyRecorder(ids: Ids): EventRecorder {
  return async (trx: Database, now: Date, events: readonly DomainEvent[]) => {
    const described = events.map(describe);
    const rows = described.flatMap((d) => d.notifications).map((n) => ({ id: ids.uuid(), ...n }));
    if (rows.length > 0) {
      await trx
        .insertInto('notifications')
        .values(
          rows.map((n) => ({
            id: n.id,
            user_id: n.userId,
            kind: n.kind,
            session_id: n.sessionId,
            data: JSON.stringify(n.data),
            created_at: now,
          })),
        )
        .execute();
    }
    await enqueueWebhooks(
      trx,
      ids,
      now,
      described.flatMap((d) => (d.webhook ? [d.webhook] : [])),
    );
    return rows.map((n): DomainEvent => ({
      type: 'notification.created',
      userId: n.userId,
      notification: {
        id: n.id,
        kind: n.kind,
        sessionId: n.sessionId,
        data: n.data,
        createdAt: now.toISOString(),
        readAt: null,
      },
    }));
  };
}
