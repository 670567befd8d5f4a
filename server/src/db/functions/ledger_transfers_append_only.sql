-- Nothing updates or deletes a ledger transfer (docs/LEDGER.md): the trigger of migration 003
-- refuses it, whoever tries.
create or replace function ledger_transfers_append_only() returns trigger
language plpgsql as $fn$
begin
  raise exception 'ledger transfers are append-only' using errcode = 'restrict_violation';
end $fn$;
