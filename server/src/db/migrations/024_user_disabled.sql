-- An operator may disable a user (fraud, a closed account): they can no longer sign in, their
-- sign-ins and join links stop working and their open connections are closed. Enabling them
-- again clears it; nothing else about them changes.
alter table users add column disabled_at timestamptz;
