-- hg_chat_store: what hg_chat_send does, at less cost; what the server calls to store chat (D3). It takes the same
-- batch and answers in the same columns, but fewer rows (below), so it has a name of its own:
-- a node still running the previous release, while a new one has migrated the database, goes on
-- calling hg_chat_send and reading its answers as it always has (docs/OPERATIONS.md).
--
-- The batch is stored first the fast way, as if every message were new and its session open:
-- a retry with a clientMsgId already stored is rare (a client resending what it sent before its
-- connection dropped), and so is a message to a session that has just closed. Yet hg_chat_send
-- probes the (session, sender, clientMsgId) index for every message before inserting it (the
-- insert then searches the same index again to check uniqueness), and finds a second copy
-- within the batch and numbers around it with two more sorts of the batch. Here the insert's own
-- uniqueness check is the look-up: the fast way runs in a subtransaction, and a batch it does
-- not fit — the unique key refuses a copy, or not every message was for an open session — is
-- undone (rows and counters alike) and stored the full way, by hg_chat_send itself. The
-- answers are the same either way; the fast way returns its rows only once nothing can fail.
--
-- It answers only what its caller cannot know. A session's new messages in one batch are
-- numbered one after another in the batch's order, and their ids are the caller's, so a created
-- message is answered only when it is its session's first in the batch (its seq); every other
-- message (a copy, a closed or unknown session) is answered as hg_chat_send answers it.
--
-- The fast way inserts the new rows in (session, seq) order: a session's messages of one batch
-- go to adjacent places in both indexes, one after another, instead of back and forth.
--
-- Together ≈ 4 µs less a message than hg_chat_send (docs/perf-log/, 2026-12-03).
create or replace function hg_chat_store(
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

  -- The full way is hg_chat_send itself, each message looked up; of its answers, a session's
  -- new messages after its first are left out, as the fast way leaves them out.
  return query
    select r.ord, r.outcome, r.state, r.msg_id, r.seq, r.stored_text, r.stored_at
    from (
      select c.*, c.outcome = 'created' and c.seq > min(c.seq) filter (where c.outcome = 'created') over (partition by t.session_id) as follows
      from hg_chat_send(p_now, p_sessions, p_roles, p_client_ids, p_texts, p_ids) c
      join unnest(p_sessions) with ordinality as t(session_id, ord) on t.ord = c.ord
    ) r
    where not r.follows
    order by r.ord;
end $fn$;
