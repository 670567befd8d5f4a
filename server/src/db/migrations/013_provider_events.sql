-- The payment provider's webhook inbox (E1): one row per provider event, keyed by the
-- event's own id. An event is applied in the same transaction that inserts its row, so a
-- delivery either finds the row (a duplicate: nothing to do) or applies the event and records
-- it at once; a handler that fails rolls both back and the provider delivers again.
create table provider_events (
  id          text primary key check (length(id) between 1 and 255),
  provider    text not null,
  type        text not null,
  -- When the provider made the event (its `created`), and when we applied it.
  created_at  timestamptz not null,
  applied_at  timestamptz not null,
  payload     jsonb not null
);
