import { sql } from 'kysely';
import type { Database } from '../db/connect.ts';
import type { Deps } from '../platform/context.ts';
import type { DomainEvent } from '../platform/events.ts';
import { inTransactionWithEvents } from '../platform/transaction.ts';
import type { SessionRow } from '../sessions/repository.ts';

export interface TickResult {
  processed: number;
  failed: number;
}

/**
 * One pass over due work of one kind: rows are claimed with FOR UPDATE SKIP LOCKED, so any
 * number of nodes can run the same sweep and none does a row twice. Each row runs in its own
 * savepoint: one bad row is logged and skipped, not a poison pill for the batch. Passes repeat
 * while they find a full batch.
 */
export async function sweep(
  deps: Deps,
  name: string,
  claim: (trx: Database, now: Date, limit: number) => Promise<SessionRow[]>,
  work: (trx: Database, s: SessionRow, now: Date, outbox: DomainEvent[]) => Promise<unknown>,
  batch: number,
): Promise<TickResult> {
  const result = { processed: 0, failed: 0 };
  for (;;) {
    const claimed = await inTransactionWithEvents(deps, async (trx, now, outbox) => {
      const rows = await claim(trx, now, batch);
      for (const s of rows) {
        await sql`savepoint sweep_row`.execute(trx);
        const eventsBefore = outbox.length;
        try {
          await work(trx, s, now, outbox);
          await sql`release savepoint sweep_row`.execute(trx);
          result.processed++;
        } catch (err) {
          await sql`rollback to savepoint sweep_row`.execute(trx);
          // Its events describe work that was just rolled back: they must not be published.
          outbox.length = eventsBefore;
          result.failed++;
          deps.log.error({ err, sweep: name, sessionId: s.id }, 'sweep row failed');
        }
      }
      return rows.length;
    });
    deps.metrics.sweepRows.inc({ sweep: name }, claimed);
    if (claimed < batch || result.failed > 0) return result;
  }
}

