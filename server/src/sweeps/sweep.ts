import { sql } from 'kysely';
import type { Deps } from '../platform/context.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';
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
  of: {
    name: string;
    /** Locks and returns up to `limit` due rows (FOR UPDATE SKIP LOCKED). */
    claim: (tx: Tx, limit: number) => Promise<SessionRow[]>;
    work: (tx: Tx, s: SessionRow) => Promise<unknown>;
    batch: number;
  },
): Promise<TickResult> {
  const { name, claim, work, batch } = of;
  const result = { processed: 0, failed: 0 };
  for (;;) {
    const claimed = await inTransaction(deps, async (tx) => {
      const rows = await claim(tx, batch);
      for (const s of rows) {
        await sql`savepoint sweep_row`.execute(tx.db);
        const eventsBefore = tx.outbox.length;
        try {
          await work(tx, s);
          await sql`release savepoint sweep_row`.execute(tx.db);
          result.processed++;
        } catch (err) {
          await sql`rollback to savepoint sweep_row`.execute(tx.db);
          // Its events describe work that was just rolled back: they must not be published.
          tx.outbox.length = eventsBefore;
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
