-- F2: the client rates the expert once per completed session (asked for by
-- the end page). The expert's average and count on expert_profiles are
-- recomputed from this table in the rating's transaction; sessions that ended for a technical
-- failure (participant_lost) are kept but left out of the average.
create table session_ratings (
  session_id        uuid primary key references sessions(id),
  client_id         uuid not null references users(id),
  expert_id         uuid not null references users(id),
  stars             smallint not null check (stars between 1 and 5),
  text              text not null default '' check (length(text) <= 2000),
  counts_in_average boolean not null,
  created_at        timestamptz not null
);
create index session_ratings_expert on session_ratings (expert_id) where counts_in_average;
