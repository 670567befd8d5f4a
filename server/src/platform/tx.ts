import type { Database } from '../db/connect.ts';
import type { DomainEvent } from './events.ts';

/**
 * One transaction as the code inside it sees it: the connection, its one instant (the database
 * clock read inside it: every row it writes agrees on the time) and its outbox (the events it
 * makes). Passed as one object, so a function's parameters say what it works on, not how the
 * transaction reached it.
 */
export interface Tx {
  readonly db: Database;
  readonly now: Date;
  readonly outbox: DomainEvent[];
}
