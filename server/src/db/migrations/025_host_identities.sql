-- A host platform's users, signed in by the host's own JWTs (HOST_JWT_*): one Hourglass user per
-- (issuer, subject), made on first sight. The subject, not the email, is the identity: an email
-- in a token may be unverified, or belong to someone who already has an Hourglass account.
create table host_identities (
  issuer text not null,
  subject text not null,
  user_id uuid not null unique references users (id),
  created_at timestamptz not null,
  primary key (issuer, subject)
);
