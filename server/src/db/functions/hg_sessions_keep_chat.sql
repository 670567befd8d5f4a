-- The other half of hg_chat_messages_name_sessions: a session with chat messages can be neither
-- deleted nor renumbered (the triggers of migration 022).
create or replace function hg_sessions_keep_chat() returns trigger
language plpgsql as $fn$
begin
  if exists (select 1 from chat_messages m where m.session_id = old.id) then
    raise foreign_key_violation using message = 'the session has chat messages', table = 'sessions';
  end if;
  return null;
end $fn$;
