-- The sweep's batched minute tick leaves out sessions with a participant away. Whether such a
-- session's clock has stopped depends on when they left and on PRESENCE_GRACE_S, which this
-- function does not know: the per-row path applies the presence rules first (pause at
-- left + grace, sessions/pause.ts) and only then charges what began before the pause. Without
-- this, a batch that ran after the grace but before the pause was recorded charged the minute
-- that began inside the absence. Sessions with someone away are few; the answer's columns and
-- their meaning are unchanged, so nodes of the previous release may call it as before.
create or replace function hg_charge_due(p_now timestamptz, p_limit int, p_pct int, p_low_minutes int)
returns table (session_id uuid, charged boolean, minute int, rate int, balance bigint, paid_until timestamptz, warn boolean)
language plpgsql as $fn$
#variable_conflict use_column
begin
  return query
  with due as (
    select s.id, s.client_id, s.expert_id, s.rate_per_minute as rate, s.paid_until, s.billed_seconds / 60 + 1 as n,
      s.low_balance_warned_at is null as unwarned
    from sessions s
    where s.state = 'live' and s.kind = 'on_demand' and s.paid_until <= p_now and s.paused_at is null
      and s.client_away_since is null and s.expert_away_since is null
    order by s.paid_until limit p_limit for update skip locked
  ),
  -- One wallet is debited once per statement: a client's other due sessions wait for the next.
  picked as (
    select * from (select d.*, row_number() over (partition by d.client_id order by d.paid_until, d.id) as k from due d) x where x.k = 1
  ),
  paid as (
    update ledger_accounts w set balance = w.balance - p.rate
    from picked p where w.id = 'wallet:' || p.client_id and w.balance >= p.rate
    returning p.*, w.balance as new_balance
  ),
  moved as (
    insert into ledger_transfers (id, debit_account, credit_account, amount, kind, session_id, pending, created_at)
    select 'ppm:' || id || ':' || n, 'wallet:' || client_id, 'earnings:' || expert_id, rate, 'charge', id, false, paid_until from paid
    union all
    select 'ppm:' || id || ':' || n || ':fee', 'earnings:' || expert_id, 'platform:revenue', rate - floor(rate * p_pct / 100)::int, 'charge_fee', id, false, paid_until
    from paid where rate - floor(rate * p_pct / 100)::int > 0
  ),
  advanced as (
    update sessions s set
      paid_until = s.paid_until + interval '1 minute',
      billed_seconds = s.billed_seconds + 60,
      version = s.version + 1,
      -- Re-armed by a top-up, so a second drop warns again.
      low_balance_warned_at = case when p.new_balance < p.rate * p_low_minutes then coalesce(s.low_balance_warned_at, p.paid_until) end
    from paid p where s.id = p.id
  )
  select d.id, p.id is not null, p.n, p.rate, p.new_balance, p.paid_until, p.unwarned and p.new_balance < p.rate * p_low_minutes
  from due d left join paid p on p.id = d.id;
end $fn$;
