import { sql } from 'kysely';
import type { Database } from '../db/connect.ts';
import type { Deps } from '../platform/context.ts';
import type { DomainEvent } from '../platform/events.ts';
import { LOW_BALANCE_MINUTES } from './metering.ts';

interface Charged {
  rate: number;
  balance: number;
  paid_until: Date;
  warn: boolean;
}

/**
 * The sweep's fast path: one call of `hg_charge_due` (migration 004) charges the next minute of
 * up to `limit` due sessions — one round trip however many. Each charge is still its own
 * transfers with the ids, amounts and times of the per-row path (`ppm:{session}:{n}` and its
 * `:fee`), and `paid_until` one minute on. Rows are claimed with FOR UPDATE SKIP LOCKED.
 *
 * Left due, for the per-row path: a session whose wallet cannot pay (it must end there), and
 * all but one due session of a client in this batch (one wallet is debited once per statement).
 * Returns how many sessions were claimed and the events of those charged.
 */
export async function chargeDueBatch(deps: Deps, db: Database, now: Date, limit: number): Promise<{ claimed: number; unpaid: string[]; events: DomainEvent[] }> {
  const pct = deps.config.SPLIT_EXPERT_PERCENT;
  const { rows } = await sql<Charged & { session_id: string; charged: boolean; minute: number }>`
    select * from hg_charge_due(${now}::timestamptz, ${limit}::int, ${pct}::int, ${LOW_BALANCE_MINUTES}::int)`.execute(db);
  const events: DomainEvent[] = [];
  for (const r of rows.filter((x) => x.charged)) {
    const paidUntil = new Date(new Date(r.paid_until).getTime() + 60_000).toISOString();
    events.push({ type: 'billing.charged', sessionId: r.session_id, minute: r.minute, amount: r.rate, balance: Number(r.balance), paidUntil });
    if (r.warn) events.push({ type: 'billing.low_balance', sessionId: r.session_id, balance: Number(r.balance), minutesLeft: Math.floor(Number(r.balance) / r.rate) });
  }
  return { claimed: rows.length, unpaid: rows.filter((r) => !r.charged).map((r) => r.session_id), events };
}
