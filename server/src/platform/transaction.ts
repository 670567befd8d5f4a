import type { Database } from '../db/connect.ts';
import type { Deps } from './context.ts';
import type { DomainEvent } from './events.ts';

/**
 * One service call, one transaction, one instant: `now` is the database clock read inside the
 * transaction, so every row it writes agrees on the time.
 */
export function inTransaction<T>(deps: Pick<Deps, 'db' | 'clock'>, fn: (trx: Database, now: Date) => Promise<T>): Promise<T> {
  return deps.db.transaction().execute(async (trx) => fn(trx, await deps.clock.now(trx)));
}

/**
 * As `inTransaction`, with an outbox: events pushed during the transaction are recorded in it
 * (notifications, webhook deliveries: a transactional outbox, so none is lost or invented by a
 * crash or a rollback), then published once it has committed, and dropped if it rolls back.
 */
export async function inTransactionWithEvents<T>(
  deps: Pick<Deps, 'db' | 'clock' | 'events'>,
  fn: (trx: Database, now: Date, outbox: DomainEvent[]) => Promise<T>,
): Promise<T> {
  const outbox: DomainEvent[] = [];
  const result = await inTransaction(deps, async (trx, now) => {
    const value = await fn(trx, now, outbox);
    outbox.push(...(await deps.events.record(trx, now, outbox)));
    return value;
  });
  deps.events.publish(outbox);
  return result;
}
