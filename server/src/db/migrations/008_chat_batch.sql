-- Chat messages written in batches (server/src/realtime/chat.ts): a node's gateway gathers the
-- messages that arrive while the previous batch commits and stores them with one call, in one
-- transaction — one commit (one WAL flush) for many messages, each still durable before its
-- acknowledgement. Set-based: a loop of four statements per message cost 70 µs a message;
-- this costs a fraction of that (docs/PERFORMANCE.md).
--
-- First the batch's sessions are locked, in id order (the same order on every node, so two
-- nodes' batches never wait on each other in a cycle). The statement after it takes its
-- snapshot once the locks are held, so it sees every message committed before: a retry of a
-- stored (session, sender role, client_msg_id) answers the stored message ('existing'), as
-- does a second copy inside the batch; a closed room answers 'closed' with its state; the rest
-- are numbered from the session's counter in the order given and stored ('created').
create function hg_chat_send(
  p_now timestamptz, p_sessions uuid[], p_senders uuid[], p_roles text[], p_client_ids text[], p_texts text[], p_ids uuid[]
)
returns table (ord int, outcome text, state text, msg_id uuid, seq int, client_msg_id text, sender_role text, body text, created_at timestamptz)
language plpgsql as $fn$
begin
  perform 1 from sessions s where s.id = any(p_sessions) order by s.id for update;
  return query
  with input as (
    select t.* from unnest(p_sessions, p_senders, p_roles, p_client_ids, p_texts, p_ids)
      with ordinality as t(session_id, sender_id, role, client_msg_id, body, id, ord)
  ),
  firsts as (
    select distinct on (i.session_id, i.role, i.client_msg_id) i.* from input i order by i.session_id, i.role, i.client_msg_id, i.ord
  ),
  stored as (
    select c.* from chat_messages c join firsts f on c.session_id = f.session_id and c.sender_role = f.role and c.client_msg_id = f.client_msg_id
  ),
  fresh as (
    select f.*, (s.chat_seq + row_number() over (partition by f.session_id order by f.ord))::int as seq
    from firsts f join sessions s on s.id = f.session_id
    where s.state in ('accepted', 'booked', 'open', 'live')
      and not exists (select 1 from stored c where c.session_id = f.session_id and c.sender_role = f.role and c.client_msg_id = f.client_msg_id)
  ),
  inserted as (
    insert into chat_messages (id, session_id, seq, sender_id, sender_role, client_msg_id, text, created_at)
    select f.id, f.session_id, f.seq, f.sender_id, f.role, f.client_msg_id, f.body, p_now from fresh f
  ),
  bumped as (
    update sessions s set chat_seq = s.chat_seq + c.n
    from (select f.session_id, count(*)::int as n from fresh f group by f.session_id) c where s.id = c.session_id
  )
  select i.ord::int,
    case when fr.ord = i.ord then 'created' when st.id is not null or fr.id is not null then 'existing' when s.id is null then 'not_found' else 'closed' end,
    s.state, coalesce(st.id, fr.id), coalesce(st.seq, fr.seq), coalesce(st.client_msg_id, fr.client_msg_id),
    coalesce(st.sender_role, fr.role), coalesce(st.text, fr.body), coalesce(st.created_at, case when fr.id is not null then p_now end)
  from input i
  left join sessions s on s.id = i.session_id
  left join stored st on st.session_id = i.session_id and st.sender_role = i.role and st.client_msg_id = i.client_msg_id
  left join fresh fr on fr.session_id = i.session_id and fr.role = i.role and fr.client_msg_id = i.client_msg_id
  order by i.ord;
end $fn$;
