-- Presence in the room and the billing pause (D2, D8; docs/PROTOCOL.md "Presence").
--
-- Which sockets a participant holds is kept here, not only in a node's memory, so that a node
-- killed without a goodbye is noticed: its heartbeat stops, and the presence sweep counts its
-- sockets as gone from the node's last heartbeat on.
create table realtime_nodes (
  id      text primary key check (length(id) between 1 and 64),
  seen_at timestamptz not null
);

create table realtime_connections (
  socket_id    text primary key check (length(socket_id) between 1 and 64),
  node_id      text not null references realtime_nodes (id) on delete cascade,
  session_id   uuid not null references sessions (id),
  role         text not null check (role in ('client', 'expert')),
  connected_at timestamptz not null
);
create index realtime_connections_session on realtime_connections (session_id, role);
create index realtime_connections_node on realtime_connections (node_id);

-- Set when a participant's last socket drops; cleared when one comes back. A participant who
-- never connected a socket (an API-only integration) has no presence and is never away.
alter table sessions add column client_away_since timestamptz;
alter table sessions add column expert_away_since timestamptz;
-- The billing clock is stopped from paused_at (a participant away longer than the grace) until
-- both are back; paused_ms sums the closed pauses, by which paid_until (on demand) or ends_at
-- (scheduled) moved on. So L3 reads: paid_until = started_at + paused_ms + N minutes.
alter table sessions add column paused_at timestamptz;
alter table sessions add column paused_ms int not null default 0 check (paused_ms >= 0);
-- The presence sweep's work: live sessions with someone away. Charges touch none of these
-- columns, so their updates stay HOT.
create index sessions_live_away on sessions (id)
  where state = 'live' and (client_away_since is not null or expert_away_since is not null);

-- A paused session is not charged. The charge body was made once from a template (005); the
-- condition is added to both functions made from it, so the body stays written once.
do $migration$
declare
  f text;
  body text;
begin
  foreach f in array array['hg_charge_session(uuid, timestamptz, int, int)', 'hg_charge_due(timestamptz, int, int, int)'] loop
    body := pg_get_functiondef(f::regprocedure);
    if position('s.paid_until <= p_now and' in body) = 0 then
      raise exception 'migration 007: % no longer has the due condition it patches', f;
    end if;
    execute replace(body, 's.paid_until <= p_now and', 's.paid_until <= p_now and s.paused_at is null and');
  end loop;
end $migration$;
