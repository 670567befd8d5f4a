-- Sessions, their join tokens and their audit trail (docs/ARCHITECTURE.md, "Sessions"; A3, D10).
create table sessions (
  id               uuid primary key,
  kind             text not null check (kind in ('scheduled', 'on_demand')),
  type             text not null check (type in ('chat', 'voice', 'video')),
  state            text not null check (state in ('requested', 'accepted', 'booked', 'open', 'live',
                     'ended', 'declined', 'expired', 'cancelled', 'no_show')),
  end_reason       text,
  client_id        uuid not null references users (id),
  expert_id        uuid not null references users (id),
  rate_per_minute  integer check (rate_per_minute > 0),
  price            integer check (price >= 0),
  duration_minutes integer check (duration_minutes in (15, 30, 45, 60)),
  scheduled_at     timestamptz,
  started_at       timestamptz,
  ends_at          timestamptz,
  paid_until       timestamptz,
  ended_at         timestamptz,
  client_joined_at timestamptz,
  expert_joined_at timestamptz,
  billed_seconds   integer not null default 0,
  notes            text,
  version          integer not null default 0,
  created_at       timestamptz not null,
  check (client_id <> expert_id),
  check (kind <> 'scheduled' or (scheduled_at is not null and duration_minutes is not null)),
  check ((state = 'ended') = (ended_at is not null and end_reason is not null)),
  check (state not in ('live', 'ended') or started_at is not null or state = 'ended')
);
create index sessions_client on sessions (client_id, id);
create index sessions_expert on sessions (expert_id, id);

-- One join token per participant per session. Only the hash is stored.
create table session_tokens (
  token_hash     text primary key,
  session_id     uuid not null references sessions (id),
  participant_id uuid not null references users (id),
  role           text not null check (role in ('client', 'expert')),
  valid_until    timestamptz not null,
  revoked_at     timestamptz,
  created_at     timestamptz not null
);
create unique index session_tokens_one_active on session_tokens (session_id, role) where revoked_at is null;

-- The audit trail: every change of a session, with its actor, written in the same transaction.
-- `seq` orders events: several written in one transaction share their `at`.
create table session_events (
  seq        bigint generated always as identity primary key,
  id         uuid not null unique,
  session_id uuid not null references sessions (id),
  at         timestamptz not null,
  actor_id   uuid,
  actor_role text not null,
  kind       text not null,
  data       jsonb not null default '{}'
);
create index session_events_session on session_events (session_id, seq);
