-- The double-entry ledger (docs/LEDGER.md). Every movement of money is one immutable row in
-- ledger_transfers; its id is its idempotency key.

create table ledger_accounts (
  id         text primary key,
  kind       text not null check (kind in ('wallet', 'escrow', 'earnings', 'payouts',
               'platform_revenue', 'provider_cash', 'in_flight')),
  owner_id   uuid,
  currency   text not null,
  -- Kept only for wallets and escrows, in the same transaction as each transfer. The other
  -- accounts are derived from transfers, so a hot account is never one locked row.
  balance    bigint not null default 0,
  created_at timestamptz not null,
  -- L2: a wallet (and an escrow) never goes below zero, whatever the code does.
  check (kind not in ('wallet', 'escrow') or balance >= 0),
  check (kind in ('wallet', 'escrow') or balance = 0)
);

create table ledger_transfers (
  -- Orders transfers (history pages); an identity column, unique by construction.
  seq            bigint generated always as identity,
  id             text primary key check (length(id) between 1 and 200),
  debit_account  text not null references ledger_accounts (id),
  credit_account text not null references ledger_accounts (id),
  amount         bigint not null check (amount > 0),
  kind           text not null,
  session_id     uuid references sessions (id),
  -- A pending transfer moves the amount into the in-flight account; `post_to` is where it goes
  -- when posted. Its resolution (post or void) is a transfer with `resolves` = its id.
  pending        boolean not null default false,
  post_to        text references ledger_accounts (id),
  resolves       text references ledger_transfers (id),
  created_at     timestamptz not null,
  check (debit_account <> credit_account),
  check (pending = (post_to is not null)),
  check (not (pending and resolves is not null))
);
-- L4: a pending transfer is resolved at most once.
create unique index ledger_transfers_one_resolution on ledger_transfers (resolves) where resolves is not null;
create index ledger_transfers_debit on ledger_transfers (debit_account, seq);
create index ledger_transfers_credit on ledger_transfers (credit_account, seq);
create index ledger_transfers_session on ledger_transfers (session_id) where session_id is not null;

create function ledger_transfers_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'ledger transfers are append-only' using errcode = 'restrict_violation';
end $$;
create trigger ledger_transfers_append_only before update or delete on ledger_transfers
  for each row execute function ledger_transfers_append_only();

-- Money state of a session: what escrow holds and when it is released (scheduled sessions).
alter table sessions
  add column escrow_state      text check (escrow_state in ('held', 'released', 'refunded', 'settled', 'disputed')),
  add column escrow_release_at timestamptz,
  add column disputed_at       timestamptz,
  add column dispute_reason    text,
  add column low_balance_warned_at timestamptz;
create index sessions_billing_due on sessions (paid_until) where state = 'live' and kind = 'on_demand';
create index sessions_escrow_due on sessions (escrow_release_at) where escrow_state = 'held';
