-- The per-minute charge (E2), the one implementation of a charge, as two functions made from
-- one body: they differ only in how the due sessions are found. hg_charge_session charges the
-- next minute of one due session — the per-row path (go-live, end, catch-up, a session with
-- someone away); hg_charge_due claims up to p_limit due sessions with FOR UPDATE SKIP LOCKED
-- and charges them in one set-based statement — the sweep's batched minute tick. The body is
-- written once, here, and both are made from it: one function taking an array of ids ran
-- one-by-one charges at half the speed of a scalar id (pgbench), and calling the scalar one per
-- row from the batch halved the batch (docs/perf-log/).
--
-- For a due session: transfer `ppm:{session}:{n}` (wallet → the expert's earnings, the full
-- rate) and its `:fee` (earnings → platform revenue, docs/LEDGER.md L5), `paid_until` one
-- minute on, the low-balance mark. A wallet that cannot pay is left untouched and answered
-- `charged = false`. The accounts must exist (ensured when the session goes live).
--
-- A paused session is never charged (D8). The batch also leaves out every session with
-- someone away: whether its clock stopped before the minute began is for the presence rules to
-- say (server/src/sessions/pause.ts), which the per-row path applies first.
--
-- The billing columns of `sessions` are not indexed, so a charge's update is HOT; the batch
-- finds due sessions through the partial index of live on-demand sessions (migration 005).
-- Both are called as named prepared statements (server/src/db/prepared.ts): their result
-- columns never change under these names (docs/OPERATIONS.md).
do $charge$
declare
  -- %1$s: the parameter list; %2$s: the query that finds and locks the due sessions.
  template constant text := $template$
create or replace function %1$s
returns table (session_id uuid, charged boolean, minute int, rate int, balance bigint, paid_until timestamptz, warn boolean)
language plpgsql as $fn$
#variable_conflict use_column
begin
  return query
  with due as (
    select s.id, s.client_id, s.expert_id, s.rate_per_minute as rate, s.paid_until, s.billed_seconds / 60 + 1 as n,
      s.low_balance_warned_at is null as unwarned
    from sessions s
    where s.state = 'live' and s.kind = 'on_demand' and s.paid_until <= p_now and s.paused_at is null and %2$s
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
$template$;
begin
  execute format(template, 'hg_charge_session(p_session uuid, p_now timestamptz, p_pct int, p_low_minutes int)',
    's.id = p_session for update');
  execute format(template, 'hg_charge_due(p_now timestamptz, p_limit int, p_pct int, p_low_minutes int)',
    's.client_away_since is null and s.expert_away_since is null order by s.paid_until limit p_limit for update skip locked');
end $charge$;
