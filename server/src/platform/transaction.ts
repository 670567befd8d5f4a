import type { Deps } from './context.ts';
import type { DomainEvent } from './events.ts';
import type { Tx } from './tx.ts';

export type { Tx } from './tx.ts';

/**
 * One service call, one transaction. Events pushed to `tx.outbox` are recorded in it
 * (notifications, webhook deliveries: a transactional outbox, so none is lost or invented by a
 * crash or a rollback), then published once it has committed, and dropped if it rolls back. An
 * outbox left empty costs nothing.
 */
export async function inTransaction<T>(
  deps: Pick<Deps, 'db' | 'clock' | 'events'>,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  const outbox: DomainEvent[] = [];
  const result = await deps.db.transaction().execute(async (db) => {
    const now = await deps.clock.now(db);
    const value = await fn({ db, now, outbox });
    if (outbox.length > 0) outbox.push(...(await deps.events.record(db, now, outbox)));
    return value;
  });
  if (outbox.length > 0) deps.events.publish(outbox);
  return result;
}
