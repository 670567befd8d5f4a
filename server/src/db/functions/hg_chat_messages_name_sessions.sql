-- chat_messages.session_id must name a session, checked once per statement (the triggers of
-- migration 022) instead of by a foreign key's check once per row: under a chat flood that
-- check was a fifth of PostgreSQL's cost per stored message. An insert or update of messages
-- naming no session fails with foreign_key_violation and writes nothing; the sessions named
-- are locked FOR KEY SHARE until the transaction ends, as the key's check locked them.
create or replace function hg_chat_messages_name_sessions() returns trigger
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
