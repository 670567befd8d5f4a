-- F1: a user's notifications, and outbound webhooks for a host platform. Both are written in the
-- transaction that makes the change they report (a transactional outbox: platform/transaction.ts),
-- so a rollback or a crash never leaves one without the other.
create table notifications (
  id          uuid primary key,
  user_id     uuid not null references users(id),
  kind        text not null,
  session_id  uuid references sessions(id),
  data        jsonb not null default '{}',
  created_at  timestamptz not null,
  read_at     timestamptz
);
-- Newest first per user (ids are UUIDv7: id order is creation order), and the unread count.
create index notifications_by_user on notifications (user_id, id desc);
create index notifications_unread on notifications (user_id) where read_at is null;

-- A subscription's secret signs its deliveries, so it is kept as is (like Stripe's whsec_); only
-- operators can reach this table's API, and the secret is shown once.
create table webhook_subscriptions (
  id           uuid primary key,
  url          text not null,
  secret       text not null,
  event_types  text[] not null check (cardinality(event_types) > 0),
  description  text,
  created_at   timestamptz not null,
  disabled_at  timestamptz
);

-- One row per (subscription, event): the retry queue and the delivery log. The event id is the
-- same in every attempt; a receiver deduplicates on it.
create table webhook_deliveries (
  id               uuid primary key,
  subscription_id  uuid not null references webhook_subscriptions(id),
  event_id         uuid not null,
  event_type       text not null,
  payload          jsonb not null,
  state            text not null default 'pending' check (state in ('pending', 'delivered', 'failed')),
  attempts         integer not null default 0,
  next_attempt_at  timestamptz,
  last_status      integer,
  last_error       text,
  created_at       timestamptz not null,
  delivered_at     timestamptz,
  unique (subscription_id, event_id),
  check ((state = 'pending') = (next_attempt_at is not null)),
  check ((state = 'delivered') = (delivered_at is not null))
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state = 'pending';
create index webhook_deliveries_log on webhook_deliveries (subscription_id, id desc);
