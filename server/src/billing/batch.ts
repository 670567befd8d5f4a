import { sql } from 'kysely';
import type { Database } from '../db/connect.ts';
import type { Deps } from '../platform/context.ts';
import type { DomainEvent } from '../platform/events.ts';
import { LOW_BALANCE_MINUTES } from './metering.ts';

interface Charged {
  id: string;
  n: number;
  rate: number;
  balance: number;
  paid_until: Date;
  warn: boolean;
}

/**
 * The sweep's fast path: one statement charges the next minute of up to `limit` due sessions —
 * one round trip however many. Each charge is still its own transfers with the ids, amounts
 * and times of the per-row path (`ppm:{session}:{n}` and its `:fee`), its `charged` audit
 * event, and `paid_until` one minute on. Rows are claimed with FOR UPDATE SKIP LOCKED.
 *
 * Left due, for the per-row path: a session whose wallet cannot pay (it must end there), and
 * all but one due session of a client in this batch (one wallet is debited once per statement).
 * Returns how many sessions were claimed and the events of those charged.
 */
export async function chargeDueBatch(deps: Deps, db: Database, now: Date, limit: number): Promise<{ claimed: number; unpaid: string[]; events: DomainEvent[] }> {
  const pct = deps.config.SPLIT_EXPERT_PERCENT;
  const { rows } = await sql<Charged & { charged: boolean }>`
    with due as (
      select id, client_id, expert_id, rate_per_minute as rate, paid_until, billed_seconds / 60 + 1 as n,
        low_balance_warned_at is null as unwarned
      from sessions
      where state = 'live' and kind = 'on_demand' and paid_until <= ${now}::timestamptz
      order by paid_until limit ${limit} for update skip locked
    ),
    picked as (
      select * from (select d.*, row_number() over (partition by client_id order by paid_until, id) as k from due d) x where k = 1
    ),
    paid as (
      update ledger_accounts w set balance = w.balance - p.rate
      from picked p where w.id = 'wallet:' || p.client_id and w.balance >= p.rate
      returning p.*, w.balance as new_balance
    ),
    accounts as (
      insert into ledger_accounts (id, kind, owner_id, currency, created_at)
      select distinct 'earnings:' || expert_id, 'earnings', expert_id, ${deps.config.CURRENCY}::text, ${now}::timestamptz from paid
      union select 'platform:revenue', 'platform_revenue', null::uuid, ${deps.config.CURRENCY}::text, ${now}::timestamptz
      on conflict (id) do nothing
    ),
    moved as (
      insert into ledger_transfers (id, debit_account, credit_account, amount, kind, session_id, pending, created_at)
      select 'ppm:' || id || ':' || n, 'wallet:' || client_id, 'earnings:' || expert_id, rate, 'charge', id, false, paid_until from paid
      union all
      select 'ppm:' || id || ':' || n || ':fee', 'earnings:' || expert_id, 'platform:revenue', rate - floor(rate * ${pct}::int / 100)::int, 'charge_fee', id, false, paid_until
      from paid where rate - floor(rate * ${pct}::int / 100)::int > 0
    ),
    audited as (
      insert into session_events (id, session_id, at, actor_id, actor_role, kind, data)
      select gen_random_uuid(), id, paid_until, null, 'system', 'charged', jsonb_build_object('minute', n, 'amount', rate) from paid
    ),
    advanced as (
      update sessions s set
        paid_until = s.paid_until + interval '1 minute',
        billed_seconds = s.billed_seconds + 60,
        version = s.version + 1,
        -- Re-armed by a top-up, so a second drop warns again (as in the per-row path).
        low_balance_warned_at = case when p.new_balance < p.rate * ${LOW_BALANCE_MINUTES} then coalesce(s.low_balance_warned_at, p.paid_until) end
      from paid p where s.id = p.id
    )
    select d.id, p.id is not null as charged, p.n, p.rate, p.new_balance as balance, p.paid_until,
      p.unwarned and p.new_balance < p.rate * ${LOW_BALANCE_MINUTES} as warn
    from due d left join paid p on p.id = d.id`.execute(db);
  const events: DomainEvent[] = [];
  for (const r of rows.filter((x) => x.charged)) {
    const paidUntil = new Date(new Date(r.paid_until).getTime() + 60_000).toISOString();
    events.push({ type: 'billing.charged', sessionId: r.id, minute: r.n, amount: r.rate, balance: Number(r.balance), paidUntil });
    if (r.warn) events.push({ type: 'billing.low_balance', sessionId: r.id, balance: Number(r.balance), minutesLeft: Math.floor(Number(r.balance) / r.rate) });
  }
  return { claimed: rows.length, unpaid: rows.filter((r) => !r.charged).map((r) => r.id), events };
}
