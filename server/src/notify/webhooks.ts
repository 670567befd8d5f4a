import type { WebhookEventType } from '@hourglass/protocol';
import { sql } from 'kysely';
import type { Database } from '../db/connect.ts';
import { isOperator, type Deps, type Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import type { Ids } from '../platform/ids.ts';
import { cursorId, toPage } from '../platform/pagination.ts';
import { inTransaction } from '../platform/transaction.ts';
import type { WebhookDraft } from './rules.ts';

/**
 * Outbound webhooks for a host platform: subscriptions per event type, managed by operators.
 * Deliveries are queued in the transaction of the change (notify/record.ts) and carried out by
 * the dispatcher (notify/delivery.ts).
 */
const operatorOnly = (p: Principal) => {
  if (!isOperator(p)) fail('forbidden');
};

type SubscriptionRow = {
  id: string;
  url: string;
  event_types: string[];
  description: string | null;
  created_at: Date;
  disabled_at: Date | null;
};
const presentSubscription = (r: SubscriptionRow) => ({
  id: r.id,
  url: r.url,
  eventTypes: r.event_types as WebhookEventType[],
  description: r.description,
  createdAt: r.created_at.toISOString(),
  disabledAt: r.disabled_at?.toISOString() ?? null,
});

export async function createSubscription(
  deps: Deps,
  principal: Principal,
  input: { url: string; eventTypes: WebhookEventType[]; description?: string | undefined },
) {
  operatorOnly(principal);
  const secret = deps.ids.secret('whsec_');
  const now = await deps.clock.now(deps.db);
  const row = await deps.db
    .insertInto('webhook_subscriptions')
    .values({
      id: deps.ids.uuid(),
      url: input.url,
      secret,
      event_types: [...new Set(input.eventTypes)],
      description: input.description || null,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...presentSubscription(row), secret };
}

export async function listSubscriptions(
  deps: Deps,
  principal: Principal,
  q: { limit: number; cursor?: string },
) {
  operatorOnly(principal);
  const after = cursorId(q.cursor);
  let query = deps.db
    .selectFrom('webhook_subscriptions')
    .select(['id', 'url', 'event_types', 'description', 'created_at', 'disabled_at']);
  if (after) query = query.where('id', '<', after);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return toPage(rows, q.limit, (r) => r.id, presentSubscription);
}

/** No new deliveries, and those still waiting are given up (recorded as failed). Disabling twice is harmless. */
export async function disableSubscription(deps: Deps, principal: Principal, id: string) {
  operatorOnly(principal);
  await inTransaction(deps, async ({ db: trx, now }) => {
    const sub = await trx
      .selectFrom('webhook_subscriptions')
      .select('disabled_at')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!sub) fail('not_found', 'No such subscription.');
    if (sub!.disabled_at) return;
    await trx
      .updateTable('webhook_subscriptions')
      .set({ disabled_at: now })
      .where('id', '=', id)
      .execute();
    await trx
      .updateTable('webhook_deliveries')
      .set({ state: 'failed', next_attempt_at: null, last_error: 'subscription disabled' })
      .where('subscription_id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  });
}

type DeliveryRow = {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
};
export const presentDelivery = (r: DeliveryRow) => ({
  id: r.id,
  subscriptionId: r.subscription_id,
  eventId: r.event_id,
  eventType: r.event_type as WebhookEventType,
  state: r.state,
  attempts: r.attempts,
  lastStatus: r.last_status,
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
  deliveredAt: r.delivered_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
});
const deliveryColumns = [
  'id',
  'subscription_id',
  'event_id',
  'event_type',
  'state',
  'attempts',
  'last_status',
  'last_error',
  'next_attempt_at',
  'delivered_at',
  'created_at',
] as const;

/** The delivery log of one subscription, newest first. */
export async function listDeliveries(
  deps: Deps,
  principal: Principal,
  subscriptionId: string,
  q: { limit: number; cursor?: string; state?: 'pending' | 'delivered' | 'failed' },
) {
  operatorOnly(principal);
  const after = cursorId(q.cursor);
  if (
    !(await deps.db
      .selectFrom('webhook_subscriptions')
      .select('id')
      .where('id', '=', subscriptionId)
      .executeTakeFirst())
  )
    fail('not_found', 'No such subscription.');
  let query = deps.db
    .selectFrom('webhook_deliveries')
    .select(deliveryColumns)
    .where('subscription_id', '=', subscriptionId);
  if (q.state) query = query.where('state', '=', q.state);
  if (after) query = query.where('id', '<', after);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return toPage(rows, q.limit, (r) => r.id, presentDelivery);
}

/** Sends a delivery again now (a failed one, or a delivered one a receiver lost): one more attempt, same event id. */
export async function retryDelivery(deps: Deps, principal: Principal, id: string) {
  operatorOnly(principal);
  const now = await deps.clock.now(deps.db);
  const row = await deps.db
    .updateTable('webhook_deliveries')
    .set({ state: 'pending', next_attempt_at: now, delivered_at: null })
    .where('id', '=', id)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('webhook_subscriptions as s')
          .select('s.id')
          .whereRef('s.id', '=', 'webhook_deliveries.subscription_id')
          .where('s.disabled_at', 'is', null),
      ),
    )
    .returning(deliveryColumns)
    .executeTakeFirst();
  if (!row) {
    const known = await deps.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    return fail(
      known ? 'invalid_transition' : 'not_found',
      known ? 'Its subscription is disabled.' : 'No such delivery.',
    );
  }
  return presentDelivery(row);
}

/**
 * Queues each event for every active subscription to its type, in the caller's transaction.
 * One event id per event, shared by its deliveries. No events: no query.
 */
export async function enqueueWebhooks(trx: Database, ids: Ids, now: Date, drafts: WebhookDraft[]) {
  if (drafts.length === 0) return;
  const subs = await trx
    .selectFrom('webhook_subscriptions')
    .select(['id', 'event_types'])
    .where('disabled_at', 'is', null)
    .where(sql<boolean>`event_types && ${drafts.map((d) => d.type)}::text[]`)
    .execute();
  if (subs.length === 0) return;
  const rows = drafts.flatMap((d) => {
    const event = { id: ids.uuid(), type: d.type, createdAt: now.toISOString(), data: d.data };
    return subs
      .filter((s) => s.event_types.includes(d.type))
      .map((s) => ({
        id: ids.uuid(),
        subscription_id: s.id,
        event_id: event.id,
        event_type: d.type,
        payload: JSON.stringify(event),
        next_attempt_at: now,
        created_at: now,
      }));
  });
  if (rows.length > 0) await trx.insertInto('webhook_deliveries').values(rows).execute();
}
