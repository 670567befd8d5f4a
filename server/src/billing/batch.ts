import type { CompiledQuery } from 'kysely';
import type { Database } from '../db/connect.ts';
import { prepared } from '../db/prepared.ts';
import type { Deps } from '../platform/context.ts';
import type { DomainEvent } from '../platform/events.ts';

/** The low-balance warning fires when the wallet covers fewer than this many more minutes. */
export const LOW_BALANCE_MINUTES = 2;

interface ChargeRow {
  session_id: string;
  charged: boolean;
  minute: number;
  rate: number;
  balance: string;
  paid_until: Date;
  warn: boolean;
}

interface ChargeResult {
  /** Sessions that were due and locked. */
  claimed: number;
  /** Of those, the ones whose wallet could not pay (or whose client had another charge in the statement). */
  unpaid: string[];
  /** `billing.charged` (and `billing.low_balance`) for each charge made. */
  events: DomainEvent[];
}

// Named prepared statements (db/prepared.ts): both are called often with a constant text.
const chargeDue = prepared<ChargeRow>(
  'select * from hg_charge_due($1::timestamptz, $2::int, $3::int, $4::int)',
);
const chargeOne = prepared<ChargeRow>(
  'select * from hg_charge_session($1::uuid, $2::timestamptz, $3::int, $4::int)',
);

/**
 * The one implementation of a per-minute charge (E2) is SQL (db/functions/hg_charge.sql): for a due
 * session, transfer `ppm:{session}:{n}` (wallet → expert earnings, the full rate) and its
 * `:fee` (earnings → platform revenue, L5), and `paid_until` one minute on. A wallet that
 * cannot pay is left untouched and reported in `unpaid`. The accounts must exist
 * (prepareMetering, at go-live).
 */
async function charge(db: Database, query: CompiledQuery<ChargeRow>): Promise<ChargeResult> {
  const { rows } = await db.executeQuery(query);
  const events: DomainEvent[] = [];
  const unpaid: string[] = [];
  for (const r of rows) {
    if (!r.charged) {
      unpaid.push(r.session_id);
      continue;
    }
    const balance = Number(r.balance);
    const paidUntil = new Date(new Date(r.paid_until).getTime() + 60_000).toISOString();
    events.push({
      type: 'billing.charged',
      sessionId: r.session_id,
      minute: r.minute,
      amount: r.rate,
      balance,
      paidUntil,
    });
    if (r.warn)
      events.push({
        type: 'billing.low_balance',
        sessionId: r.session_id,
        balance,
        minutesLeft: Math.floor(balance / r.rate),
      });
  }
  return { claimed: rows.length, unpaid, events };
}

/**
 * The sweep's batched minute tick: claims up to `limit` due sessions (FOR UPDATE SKIP LOCKED,
 * so several nodes never charge one twice) and charges each its next minute — one round trip.
 * All but one due session of a client in the batch are left unpaid for the per-row path: one
 * wallet is debited once per statement.
 */
export const chargeDueBatch = (deps: Deps, db: Database, now: Date, limit: number) =>
  charge(db, chargeDue(now, limit, deps.config.SPLIT_EXPERT_PERCENT, LOW_BALANCE_MINUTES));

/** Charges the next minute of one session if it has begun by `now` — the per-row path. */
export const chargeSession = (deps: Deps, db: Database, sessionId: string, now: Date) =>
  charge(db, chargeOne(sessionId, now, deps.config.SPLIT_EXPERT_PERCENT, LOW_BALANCE_MINUTES));
