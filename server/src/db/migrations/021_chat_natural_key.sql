-- chat_messages is keyed by what identifies a message: its session and its seq. The primary key
-- on `id` was a third index written with every message and read by nothing — messages are
-- found by session and seq (history, resume) or by session, sender and clientMsgId (a retry).
-- Under a chat flood that index was a fifth of PostgreSQL's CPU per stored message (batches of
-- 1,000 over 500 sessions: 23–30 µs a message with it, 18–21 without; docs/PERFORMANCE.md).
-- `id` stays: the server makes it (a UUIDv7: time, a per-process counter, random bits) and
-- clients may use it as a stable label.
-- (A unique constraint's index cannot become a primary key: the key is built anew, once.)
alter table chat_messages
  drop constraint chat_messages_pkey,
  drop constraint chat_messages_session_id_seq_key,
  add primary key (session_id, seq);
