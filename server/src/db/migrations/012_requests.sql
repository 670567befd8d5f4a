-- On-demand requests (C2): a client asks an online expert for a session of a type; the expert
-- accepts or declines before request_expires_at, or the request expires (the request sweep).
alter table sessions add column request_expires_at timestamptz;
create index sessions_request_due on sessions (request_expires_at) where state = 'requested';
