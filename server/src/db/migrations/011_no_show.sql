-- The no-show sweep (B5): scheduled sessions whose start window has closed without both
-- participants, found by their time; and each expert's count of sessions they missed.
create index sessions_start_due on sessions (scheduled_at) where state in ('booked', 'open');
alter table expert_profiles add column no_show_count int not null default 0;
