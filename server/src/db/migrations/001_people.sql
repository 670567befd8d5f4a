-- People: users, expert profiles, web sign-in sessions, sign-in throttle, API keys.
create table users (
  id            uuid primary key,
  role          text not null check (role in ('client', 'expert', 'admin')),
  email         text not null check (email = lower(email)),
  name          text not null,
  password_hash text,
  created_at    timestamptz not null
);
create unique index users_email_key on users (email);

create table expert_profiles (
  user_id      uuid primary key references users (id),
  bio          text not null default '',
  avatar_url   text,
  categories   jsonb not null default '[]',
  rates        jsonb not null default '{}',
  flat_prices  jsonb not null default '{}',
  presence     text not null default 'offline' check (presence in ('online', 'busy', 'offline')),
  rating_avg   numeric(3, 2),
  rating_count integer not null default 0 check (rating_count >= 0)
);

-- A web sign-in. Only hashes of the cookie and of its CSRF token are kept.
create table auth_sessions (
  id_hash    text primary key,
  user_id    uuid not null references users (id),
  csrf_hash  text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null
);
create index auth_sessions_user on auth_sessions (user_id);

-- Failed sign-ins per key ('email:…' or 'ip:…') within a window.
create table login_failures (
  key               text primary key,
  failures          integer not null,
  window_started_at timestamptz not null
);

create table api_keys (
  id         uuid primary key,
  name       text not null,
  prefix     text not null,
  key_hash   text not null unique,
  created_by uuid references users (id),
  created_at timestamptz not null,
  revoked_at timestamptz
);
