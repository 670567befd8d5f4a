-- chat_messages.session_id must name a session, checked once per statement instead of once per
-- row. The foreign key ran its check query (an index probe and a row lock on `sessions`) for
-- every stored message: under a chat flood, batches of 1,000 messages over 500 sessions, that
-- was ≈ 4 µs of PostgreSQL's ≈ 21 µs per message; this check, one look-up of a batch's distinct
-- sessions, costs under 1 (docs/PERFORMANCE.md). It guards what the key guarded:
-- - an insert or update of messages naming no session fails with foreign_key_violation (23503)
--   and writes nothing, whatever writes it; the sessions named are locked FOR KEY SHARE until
--   the transaction ends, as the key's check locked them, so none can go meanwhile;
-- - a session with messages cannot be deleted, nor its id changed (nothing does either: other
--   tables' keys hold sessions too).
alter table chat_messages drop constraint chat_messages_session_id_fkey;

create function hg_chat_messages_name_sessions() returns trigger
language plpgsql as $fn$
declare
  found_sessions bigint;
begin
  perform 1 from sessions s where s.id in (select m.session_id from new_messages m) for key share;
  get diagnostics found_sessions = row_count;
  if found_sessions <> (select count(distinct m.session_id) from new_messages m) then
    raise foreign_key_violation using message = 'a chat message names no session', table = 'chat_messages';
  end if;
  return null;
end $fn$;

-- Two triggers: PostgreSQL allows a transition table only on a trigger of one event.
create trigger chat_messages_insert_names_sessions after insert on chat_messages
  referencing new table as new_messages for each statement execute function hg_chat_messages_name_sessions();
create trigger chat_messages_update_names_sessions after update on chat_messages
  referencing new table as new_messages for each statement execute function hg_chat_messages_name_sessions();

-- The referenced side, row by row: it fires only when a session is deleted or its id changes.
create function hg_sessions_keep_chat() returns trigger
language plpgsql as $fn$
begin
  if exists (select 1 from chat_messages m where m.session_id = old.id) then
    raise foreign_key_violation using message = 'the session has chat messages', table = 'sessions';
  end if;
  return null;
end $fn$;

create trigger sessions_delete_keeps_chat after delete on sessions
  for each row execute function hg_sessions_keep_chat();
create trigger sessions_id_keeps_chat after update of id on sessions
  for each row when (old.id <> new.id) execute function hg_sessions_keep_chat();
