-- hg_chat_store: what hg_chat_send (migrations 019, 020) does, at less cost. It takes the same
-- batch and answers in the same columns, but fewer rows (below), so it has a name of its own:
-- a node still running the previous release, while a new one has migrated the database, goes on
-- calling hg_chat_send and reading its answers as it always has (kept until a later release
-- drops it; docs/OPERATIONS.md). Both take each session's lock first, in one order, and number
-- from the same counter, so the two can run side by side.
--
-- The batch is stored first the fast way, as if every message were new and its session open:
-- a retry with a clientMsgId already stored is rare (a client resending what it sent before its
-- connection dropped), and so is a message to a session that has just closed. Yet hg_chat_send
-- probes the (session, sender, clientMsgId) index for every message before inserting it (the
-- insert then searches the same index again to check uniqueness), and finds a second copy
-- within the batch and numbers around it with two more sorts of the batch. Here the insert's own
-- uniqueness check is the look-up: the fast way runs in a subtransaction, and a batch it does
-- not fit — the unique key refuses a copy, or not every message was for an open session — is
-- undone (rows and counters alike) and stored again the full way, as hg_chat_send does. The
-- answers are the same either way; the fast way returns its rows only once nothing can fail.
--
-- It answers only what its caller cannot know. A session's new messages in one batch are
-- numbered one after another in the batch's order, and their ids are the caller's, so a created
-- message is answered only when it is its session's first in the batch (its seq); every other
-- message (a copy, a closed or unknown session) is answered as hg_chat_send answers it.
--
-- The new rows are inserted in (session, seq) order: a session's messages of one batch go to
-- adjacent places in both indexes, one after another, instead of back and forth.
--
-- Together ≈ 4 µs less a message than hg_chat_send (docs/PERFORMANCE.md, 2026-12-03).
create function hg_chat_store(
  p_now timestamptz, p_sessions uuid[], p_roles text[], p_client_ids text[], p_texts text[], p_ids uuid[]
)
returns table (ord int, outcome text, state text, msg_id uuid, seq int, stored_text text, stored_at timestamptz)
language plpgsql as $fn$
declare
  created int;
  first_ords int[];
  first_seqs int[];
begin
  -- Each session's lock, in one order (no deadlock with another batch): its counter, its state
  -- and its messages stay as read until this transaction ends.
  perform 1 from sessions s where s.id = any(p_sessions) order by s.id for update;

  -- The fast way: every message new, in an open session. Any other batch is undone and goes the
  -- full way below: a copy stored before or a second copy within the batch (the unique key
  -- refuses it), or a message to a closed or unknown session (not every message is created).
  begin
    with input as (
      select t.*, s.chat_seq
      from unnest(p_sessions, p_roles, p_client_ids, p_texts, p_ids)
        with ordinality as t(session_id, role, client_msg_id, body, id, ord)
      join sessions s on s.id = t.session_id and s.state in ('accepted', 'booked', 'open', 'live')
    ),
    numbered as (
      select i.*, (i.chat_seq + count(*) over (partition by i.session_id order by i.ord))::int as new_seq from input i
    ),
    inserted as (
      insert into chat_messages (id, session_id, seq, sender_role, client_msg_id, text, created_at)
      select n.id, n.session_id, n.new_seq, n.role, n.client_msg_id, n.body, p_now from numbered n
      order by n.session_id, n.new_seq
    ),
    bumped as (
      update sessions s set chat_seq = s.chat_seq + c.n
      from (select n.session_id, count(*)::int as n from numbered n group by n.session_id) c where s.id = c.session_id
    )
    select count(*)::int,
      array_agg(n.ord::int order by n.ord) filter (where n.new_seq = n.chat_seq + 1),
      array_agg(n.new_seq order by n.ord) filter (where n.new_seq = n.chat_seq + 1)
    into created, first_ords, first_seqs
    from numbered n;
    if created <> cardinality(p_sessions) then
      raise exception using errcode = 'HG001', message = 'not every message of the batch is new in an open session';
    end if;
    -- Of each session's new messages only the first, with its seq: the rest follow it.
    return query select u.o, 'created'::text, null::text, null::uuid, u.s, null::text, null::timestamptz
      from unnest(first_ords, first_seqs) as u(o, s);
    return;
  exception when unique_violation or sqlstate 'HG001' then
    -- Undone, rows and counters alike; the sessions stay locked (taken before this block).
  end;

  -- The full way, each message looked up: answered as hg_chat_send answers, less the created
  -- messages after their session's first.
  return query
    with input as (
      select t.*,
        s.id is not null as found, s.state as s_state, s.chat_seq,
        coalesce(s.state in ('accepted', 'booked', 'open', 'live'), false) as open,
        c.id as st_id, c.seq as st_seq, c.text as st_text, c.created_at as st_at,
        row_number() over (partition by t.session_id, t.role, t.client_msg_id order by t.ord) = 1 as first
      from unnest(p_sessions, p_roles, p_client_ids, p_texts, p_ids)
        with ordinality as t(session_id, role, client_msg_id, body, id, ord)
      left join sessions s on s.id = t.session_id
      -- One probe of the unique index per message (020 says why lateral).
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
      order by n.session_id, n.new_seq
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
    ),
    outcomes as (
      select a.ord::int as ord,
        case when a.creates then 'created' when a.st_id is not null or a.first_creates then 'existing' when not a.found then 'not_found' else 'closed' end as outcome,
        case when not (a.creates or a.st_id is not null or a.first_creates) then a.s_state end as state,
        case when a.st_id is not null then a.st_id when a.first_creates and not a.creates then a.first_id end as msg_id,
        case when a.st_id is not null then a.st_seq when a.first_creates then a.first_seq end as seq,
        case when a.creates then null when a.st_id is not null then a.st_text when a.first_creates then a.first_body end as stored_text,
        case when a.creates then null when a.st_id is not null then a.st_at when a.first_creates then p_now end as stored_at
      from answered a
      -- A session's later new messages follow its first one's seq.
      where not (a.creates and a.new_seq > a.chat_seq + 1)
    )
    select * from outcomes o order by o.ord;
end $fn$;
