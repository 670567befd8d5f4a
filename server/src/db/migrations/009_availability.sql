-- Availability (B1): an expert's schedule — IANA zone, weekly hours and date overrides as
-- wall-clock times in that zone, buffer and minimum notice — and one-off slots at absolute
-- instants. Weekly hours and overrides are replaced as one document (PUT), so they are kept as
-- JSON, validated at the edge; open slots are computed from them (server/src/booking/slots.ts).
create table expert_schedules (
  expert_id          uuid primary key references users (id),
  time_zone          text not null check (length(time_zone) between 1 and 64),
  weekly             jsonb not null default '[]',
  overrides          jsonb not null default '[]',
  buffer_minutes     int not null default 0 check (buffer_minutes between 0 and 240),
  min_notice_minutes int not null default 120 check (min_notice_minutes between 0 and 86400),
  updated_at         timestamptz not null
);

create table availability_slots (
  id               uuid primary key,
  expert_id        uuid not null references users (id),
  starts_at        timestamptz not null,
  duration_minutes int not null check (duration_minutes in (15, 30, 45, 60)),
  types            jsonb not null,
  price            int not null check (price > 0),
  -- Set by booking; a booked slot cannot be deleted.
  session_id       uuid references sessions (id),
  created_at       timestamptz not null
);
create index availability_slots_expert on availability_slots (expert_id, starts_at);
