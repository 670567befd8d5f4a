import type { Database } from '../db/connect.ts';
import type { Deps } from './context.ts';

/**
 * One service call, one transaction, one instant: `now` is the database clock read inside the
 * transaction, so every row it writes agrees on the time.
 */
export function inTransaction<T>(deps: Pick<Deps, 'db' | 'clock'>, fn: (trx: Database, now: Date) => Promise<T>): Promise<T> {
  return deps.db.transaction().execute(async (trx) => fn(trx, await deps.clock.now(trx)));
}
