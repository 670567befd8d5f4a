import { sql } from 'kysely';
import type { Database } from '../db/connect.ts';

/**
 * Checks the invariants of docs/LEDGER.md against the database and returns every violation
 * (an empty list when all hold). Used by the property, concurrency and crash tests.
 */
export async function ledgerViolations(db: Database, expertPercent: number): Promise<string[]> {
  const out: string[] = [];
  const q = async <T>(s: ReturnType<typeof sql<T>>) => (await s.execute(db)).rows;

  // L1: every movement debits and credits the same amount, so all balances sum to zero; and
  // each kept balance row equals what its transfers say.
  const [sum] = await q<{ total: number }>(sql`select coalesce(sum(b), 0)::bigint as total from (
      select credit_account a, amount b from ledger_transfers union all select debit_account, -amount from ledger_transfers) x`);
  if (Number(sum!.total) !== 0) out.push(`L1: balances sum to ${sum!.total}`);
  const drift = await q<{ id: string; kept: number; derived: number }>(sql`
    select a.id, a.balance as kept,
      coalesce((select sum(amount) from ledger_transfers where credit_account = a.id), 0)
      - coalesce((select sum(amount) from ledger_transfers where debit_account = a.id), 0) as derived
    from ledger_accounts a where a.kind in ('wallet', 'escrow')`);
  for (const d of drift)
    if (Number(d.kept) !== Number(d.derived))
      out.push(`L1: ${d.id} keeps ${d.kept} but transfers say ${d.derived}`);

  // L2: no wallet or escrow below zero.
  for (const d of drift) if (Number(d.derived) < 0) out.push(`L2: ${d.id} is ${d.derived}`);

  // L3: each (session, minute) charged at most once (the id `ppm:{session}:{n}` is the primary
  // key), minutes numbered 1..N without gaps, at the session's rate, `paid_until` = start +
  // closed pauses + N minutes, and never a minute that began after the session ended.
  const charged = await q<{
    id: string;
    n: number;
    max: number;
    total: number;
    rate: number;
    started: Date;
    paused: number;
    paid: Date | null;
    ended: Date | null;
  }>(sql`
    select s.id, count(t.id)::int as n, max(split_part(t.id, ':', 3)::int) as max, sum(t.amount)::bigint as total,
      s.rate_per_minute as rate, s.started_at as started, s.paused_ms as paused, s.paid_until as paid, s.ended_at as ended
    from sessions s join ledger_transfers t on t.session_id = s.id and t.id = 'ppm:' || s.id || ':' || split_part(t.id, ':', 3)
    group by s.id`);
  for (const c of charged) {
    if (c.n !== c.max) out.push(`L3: session ${c.id} has ${c.n} charges numbered up to ${c.max}`);
    if (Number(c.total) !== c.n * Number(c.rate))
      out.push(`L3: session ${c.id} charged ${c.total} for ${c.n} minutes at ${c.rate}`);
    const paid = c.paid ? new Date(c.paid).getTime() : null;
    if (paid !== new Date(c.started).getTime() + c.paused + c.n * 60_000)
      out.push(`L3: session ${c.id} paid_until does not match ${c.n} minutes`);
    if (c.ended && paid! - 60_000 > new Date(c.ended).getTime()) {
      out.push(`L3: session ${c.id} charged minute ${c.n}, which began after it ended`);
    }
  }

  // L4: a pending transfer resolves at most once, for its whole amount.
  const resolutions = await q<{ id: string; n: number; bad: number }>(sql`
    select p.id, count(r.id)::int as n, count(*) filter (where r.amount <> p.amount)::int as bad
    from ledger_transfers p join ledger_transfers r on r.resolves = p.id
    group by p.id having count(r.id) > 1 or count(*) filter (where r.amount <> p.amount) > 0`);
  for (const r of resolutions)
    out.push(`L4: pending ${r.id} resolved ${r.n} times (${r.bad} with another amount)`);

  // L5: every split charge (a minute, or an escrow release) and its fee follow the rounding rule.
  const splits = await q<{ id: string; gross: number; fee: number }>(sql`
    select g.id, g.amount as gross, coalesce(f.amount, 0) as fee
    from ledger_transfers g left join ledger_transfers f on f.id = g.id || ':fee'
    where g.kind in ('charge', 'escrow_release')`);
  for (const s of splits) {
    const gross = Number(s.gross);
    const expectedFee = gross - Math.floor((gross * expertPercent) / 100);
    if (Number(s.fee) !== expectedFee)
      out.push(`L5: ${s.id} of ${gross} took a fee of ${s.fee}, the rule says ${expectedFee}`);
  }
  return out;
}
