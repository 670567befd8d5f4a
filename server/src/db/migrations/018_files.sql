-- D9: files shared in a session. A row is written before the bytes (state 'uploading') so that
-- an upload whose process dies is found and removed, bytes and all, by the sweep; only 'ready'
-- files are listed, fetched or counted as shared. The object's key is derived from the id.
create table files (
  id           uuid primary key,
  session_id   uuid not null references sessions(id),
  uploader_id  uuid not null references users(id),
  name         text not null check (length(name) between 1 and 200),
  mime         text,
  size         bigint not null default 0 check (size >= 0),
  state        text not null default 'uploading' check (state in ('uploading', 'ready')),
  created_at   timestamptz not null,
  check (state = 'uploading' or (mime is not null and size > 0))
);
create index files_by_session on files (session_id, id) where state = 'ready';
create index files_by_uploader on files (uploader_id);
create index files_uploading on files (created_at) where state = 'uploading';

-- Secrets the server makes for itself, the same on every node: made once, on first use.
create table server_secrets (
  name   text primary key,
  value  text not null
);
