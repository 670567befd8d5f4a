-- Booking (B3): one booking per expert and time, guaranteed by the database. A session booked
-- by a client carries the time it holds — its start to its end plus the expert's buffer — and
-- no two held times of one expert overlap while their sessions are booked, open or live. Two
-- clients racing for one slot both pass every check that reads; the second commit fails here
-- (exclusion_violation) and is answered `slot_taken`, with nothing charged.
create extension if not exists btree_gist;
alter table sessions add column booked_range tstzrange;
alter table sessions add constraint sessions_one_booking_per_time
  exclude using gist (expert_id with =, booked_range with &&)
  where (booked_range is not null and state in ('booked', 'open', 'live'));
