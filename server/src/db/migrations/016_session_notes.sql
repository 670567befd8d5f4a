-- F3: after a session the expert writes a summary both sides read; each side may keep private
-- notes on a session, before, during or after it, that only its author ever reads. One row per
-- (session, author, kind): writing again replaces the text (the audit trail records each save).
create table session_notes (
  session_id  uuid not null references sessions(id),
  author_id   uuid not null references users(id),
  kind        text not null check (kind in ('summary', 'private')),
  text        text not null check (length(text) <= 10000),
  updated_at  timestamptz not null,
  primary key (session_id, author_id, kind)
);
