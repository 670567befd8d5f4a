-- Payments through a provider (E1, E6, B3). Three records, each keyed so that a retry finds the
-- row it made before instead of making a second one.
--
-- provider_checkouts: every checkout we asked the provider for (a top-up, a booking, an
-- extension), keyed by the provider's own id. `key` is the idempotency key we sent it; the
-- money it brings is credited once as transfer `topup:{user_id}:{key}`.
create table provider_checkouts (
  id           text primary key check (length(id) between 1 and 255),
  provider     text not null,
  purpose      text not null check (purpose in ('top_up', 'booking', 'extension')),
  user_id      uuid not null references users(id),
  key          text not null check (length(key) between 1 and 200),
  amount       bigint not null check (amount > 0),
  session_id   uuid references sessions(id),
  -- The provider's payment (a PaymentIntent for Stripe): what a refund is made against.
  payment_ref  text,
  state        text not null default 'open' check (state in ('open', 'paid')),
  created_at   timestamptz not null,
  paid_at      timestamptz,
  unique (provider, user_id, key)
);
create index provider_checkouts_session on provider_checkouts (session_id) where session_id is not null;

-- Paid extensions of a live scheduled session (E6). One row per (session, the client's
-- idempotency key): a retried purchase finds its row.
create table session_extensions (
  id               uuid primary key,
  session_id       uuid not null references sessions(id),
  client_id        uuid not null references users(id),
  minutes          integer not null check (minutes between 1 and 240),
  amount           bigint not null check (amount > 0),
  pay_with         text not null check (pay_with in ('wallet', 'checkout')),
  state            text not null check (state in ('awaiting_payment', 'applied', 'refunded')),
  idempotency_key  text not null check (length(idempotency_key) between 1 and 200),
  created_at       timestamptz not null,
  settled_at       timestamptz,
  unique (session_id, idempotency_key)
);

-- Refunds through the provider: written in the transaction that decides them (with a pending
-- ledger transfer wallet → provider cash), carried out by a sweep that calls the provider with
-- the row's id as the idempotency key, then posted (or voided after the last attempt).
create table provider_refunds (
  id               text primary key check (length(id) between 1 and 255),
  provider         text not null,
  user_id          uuid not null references users(id),
  payment_ref      text not null,
  amount           bigint not null check (amount > 0),
  reason           text not null,
  session_id       uuid references sessions(id),
  state            text not null default 'pending' check (state in ('pending', 'succeeded', 'failed')),
  provider_ref     text,
  attempts         integer not null default 0,
  last_error       text,
  next_attempt_at  timestamptz not null,
  created_at       timestamptz not null,
  finished_at      timestamptz
);
create index provider_refunds_due on provider_refunds (next_attempt_at) where state = 'pending';

-- A booking paid through checkout holds its time until then; unpaid, it is cancelled.
alter table sessions add column payment_due_at timestamptz;
create index sessions_payment_due on sessions (payment_due_at) where payment_due_at is not null;
