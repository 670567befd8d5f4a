-- hg_chat_send: stores a batch of chat messages, each looked up first (D3). The previous
-- release's way to store chat, and hg_chat_store's full way (a batch with a retry's copy or a
-- closed session's message). Kept under its name for nodes of the previous release during a
-- rolling upgrade: both lock the batch's sessions in one order and number from one counter.
--
-- The batch's sessions are locked first, in id order, and the statement after takes its
-- snapshot once the locks are held. A message whose (session, sender role, client_msg_id) is
-- stored answers the stored one ('existing'); else a second copy inside the batch answers the
-- first copy ('existing'); an unknown session answers 'not_found'; a room that is not open
-- answers 'closed' with its state; the rest are numbered from the session's counter in the
-- order given, stored, and answered 'created' (with their id and seq only: the caller holds
-- the rest). Each message is looked at once, beside its session (a hash join on real
-- statistics) and its stored copy (an index probe per message: as a plain join the planner,
-- trusting statistics that lag behind a table growing by thousands of rows a second, hashed
-- the whole table for every batch), and numbered and answered by window functions.
create or replace function hg_chat_send(
  p_now timestamptz, p_sessions uuid[], p_roles text[], p_client_ids text[], p_texts text[], p_ids uuid[]
)
returns table (ord int, outcome text, state text, msg_id uuid, seq int, stored_text text, stored_at timestamptz)
language plpgsql as $fn$
begin
  perform 1 from sessions s where s.id = any(p_sessions) order by s.id for update;
  return query
  with input as (
    select t.*, s.id is not null as found, s.state as s_state, s.chat_seq,
      coalesce(s.state in ('accepted', 'booked', 'open', 'live'), false) as open,
      c.id as st_id, c.seq as st_seq, c.text as st_text, c.created_at as st_at,
      row_number() over (partition by t.session_id, t.role, t.client_msg_id order by t.ord) = 1 as first
    from unnest(p_sessions, p_roles, p_client_ids, p_texts, p_ids)
      with ordinality as t(session_id, role, client_msg_id, body, id, ord)
    left join sessions s on s.id = t.session_id
    -- One probe of the unique index per message. As a plain join the planner, trusting
    -- statistics that lag behind a table growing by thousands of rows a second, hashed the
    -- whole table for every batch; a lateral subquery with a limit is not flattened into one.
    left join lateral (
      select c.id, c.seq, c.text, c.created_at from chat_messages c
      where c.session_id = t.session_id and c.sender_role = t.role and c.client_msg_id = t.client_msg_id
      limit 1
    ) c on true
  ),
  numbered as (
    select i.*, i.first and i.open and i.st_id is null as creates,
      (i.chat_seq + count(*) filter (where i.first and i.open and i.st_id is null)
        over (partition by i.session_id order by i.ord))::int as new_seq
    from input i
  ),
  inserted as (
    insert into chat_messages (id, session_id, seq, sender_role, client_msg_id, text, created_at)
    select n.id, n.session_id, n.new_seq, n.role, n.client_msg_id, n.body, p_now from numbered n where n.creates
  ),
  bumped as (
    update sessions s set chat_seq = s.chat_seq + c.n
    from (select n.session_id, count(*)::int as n from numbered n where n.creates group by n.session_id) c where s.id = c.session_id
  ),
  -- A second copy inside the batch answers what its first copy answers.
  answered as (
    select n.*,
      first_value(n.creates) over w as first_creates, first_value(n.id) over w as first_id,
      first_value(n.new_seq) over w as first_seq, first_value(n.body) over w as first_body
    from numbered n
    window w as (partition by n.session_id, n.role, n.client_msg_id order by n.ord)
  )
  select a.ord::int,
    case when a.creates then 'created' when a.st_id is not null or a.first_creates then 'existing' when not a.found then 'not_found' else 'closed' end,
    case when not (a.creates or a.st_id is not null or a.first_creates) then a.s_state end,
    case when a.st_id is not null then a.st_id when a.first_creates then a.first_id end,
    case when a.st_id is not null then a.st_seq when a.first_creates then a.first_seq end,
    case when a.creates then null when a.st_id is not null then a.st_text when a.first_creates then a.first_body end,
    case when a.creates then null when a.st_id is not null then a.st_at when a.first_creates then p_now end
  from answered a
  order by a.ord;
end $fn$;
