-- Chat in the room (D3, docs/PROTOCOL.md). A message is stored before anyone sees it; `seq`
-- orders a session's messages from 1 without gaps (the session row's counter, taken under its
-- lock), so a reconnecting client asks for everything after the last seq it holds.
alter table sessions add column chat_seq int not null default 0;

create table chat_messages (
  id            uuid primary key,
  session_id    uuid not null references sessions (id),
  seq           int not null check (seq > 0),
  sender_id     uuid not null references users (id),
  sender_role   text not null check (sender_role in ('client', 'expert')),
  -- Chosen by the sender's client: a retry with the same id is the same message.
  client_msg_id text not null check (length(client_msg_id) between 1 and 64),
  text          text not null check (length(text) between 1 and 4000),
  created_at    timestamptz not null,
  unique (session_id, seq),
  unique (session_id, sender_role, client_msg_id)
);
