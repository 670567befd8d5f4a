import { CompiledQuery } from 'kysely';
import pg from 'pg';

/**
 * Named prepared statements for a few hot calls. Kysely sends every query as an unnamed
 * statement, which PostgreSQL parses and plans again on each call; a named statement is parsed
 * once per connection and each call only binds and executes it. For the per-minute charge that
 * is ≈ 40 µs of the database's CPU per call and about +10 % charges per second
 * (docs/perf-log/, bench/billing).
 *
 * Only texts registered here are named, not every query: a connection keeps each named
 * statement for its whole life, so a registered text must be constant (parameters as $n), and
 * what it calls must keep its result columns (PostgreSQL refuses a prepared statement whose
 * result type changed: a migration that changes them gives the function a new name).
 */
const names = new Map<string, string>();

/** Registers `text` and returns a builder of the query with its parameters, for `db.executeQuery`. */
export function prepared<R>(text: string): (...parameters: unknown[]) => CompiledQuery<R> {
  if (!names.has(text)) names.set(text, `hg_prepared_${names.size + 1}`);
  return (...parameters) => CompiledQuery.raw(text, parameters) as CompiledQuery<R>;
}

const query = pg.Client.prototype.query;

/**
 * The node-postgres client the pools use: a registered text goes out as a named statement
 * (node-postgres sends the Parse once per connection and remembers it only once the server has
 * accepted it); anything else as before.
 */
export class PreparingClient extends pg.Client {}

PreparingClient.prototype.query = function (this: pg.Client, text: unknown, ...rest: unknown[]) {
  const name = typeof text === 'string' ? names.get(text) : undefined;
  return Reflect.apply(query, this, [name ? { name, text } : text, ...rest]);
} as typeof query;
