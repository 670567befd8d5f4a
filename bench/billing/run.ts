/**
 * bench/billing — per-minute charges per second on a PostgreSQL server, beside
 * `pgbench -b tpcb-like` on the same server with the same number of clients.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:billing -- [--clients 8] [--seconds 10] [--sessions 2000] [--rounds 3]
 *
 * Run-to-run noise on a small machine is large (±20 %), so each round runs pgbench and every
 * case in turn, and the report gives medians over the rounds.
 *
 * Cases: charges one by one (a session picked at random, as pgbench picks an account; each its
 * own statement, autocommit — the per-row path) and the sweep's batched tick (100 due sessions
 * claimed per statement), each with experts spread (one per session) and with every session on
 * one hot expert, driven by the server's code from this Node process. One more case sends the
 * one-by-one call from pgbench itself, so both sides of the ratio have the same client. Every
 * charge is still its own idempotent transfers. Afterwards the ledger invariants are checked,
 * so the speed is not bought with wrong money.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createDatabase, dropDatabase } from '../../test-support/postgres-admin.ts';
import { buildApp } from '../../server/src/app.ts';
import {
  LOW_BALANCE_MINUTES,
  chargeDueBatch,
  chargeSession,
} from '../../server/src/billing/batch.ts';
import { loadConfig } from '../../server/src/config.ts';
import { connectPostgres } from '../../server/src/db/connect.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { ledgerViolations } from '../../server/src/ledger/invariants.ts';
import { ManualClock } from '../../server/src/platform/clock.ts';
import { randomIds } from '../../server/src/platform/ids.ts';
import { median } from '../median.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '10' },
    sessions: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
});
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const SESSIONS = Number(values.sessions);
const base = process.env.TEST_DATABASE_URL;
if (!base)
  throw new Error(
    'Set TEST_DATABASE_URL to a PostgreSQL server (the bench creates and drops its own databases).',
  );

const createDb = (name: string) => createDatabase(base!, name);
const dropDb = (name: string) => dropDatabase(base!, name);

/** Runs pgbench with the same client count for SECONDS on `url`: the built-in tpcb-like, or a script. */
function pgbench(url: string, script?: string): number {
  const u = new URL(url);
  const args = ['-h', u.hostname, '-p', u.port || '5432', '-U', u.username || 'postgres'];
  const db = u.pathname.slice(1);
  let workload = ['-b', 'tpcb-like'];
  const dir = mkdtempSync(join(tmpdir(), 'hg-bench-'));
  if (script) {
    writeFileSync(join(dir, 'script.sql'), script);
    workload = ['-f', join(dir, 'script.sql')];
  } else
    execFileSync('pgbench', [...args, '-i', '-q', '-s', String(Math.max(CLIENTS, 10)), db], {
      stdio: 'pipe',
    });
  try {
    const out = execFileSync(
      'pgbench',
      [...args, ...workload, '-n', '-c', String(CLIENTS), '-j', '2', '-T', String(SECONDS), db],
      { encoding: 'utf8' },
    );
    const tps = out.match(/tps = ([\d.]+)/);
    if (!tps) throw new Error(`pgbench said:\n${out}`);
    return Number(tps[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Charges per second. `driver` 'node' calls the server's own code (billing/batch.ts) from
 * this process; 'pgbench' sends the same SQL call from pgbench, the baseline's own client, so
 * that the two databases' work is compared without Node's share of the two cores.
 */
async function chargesPerSecond(hot: boolean, batch: number, driver: 'node' | 'pgbench') {
  const name = `hg_bench_${randomBytes(4).toString('hex')}`;
  const url = await createDb(name);
  const database = connectPostgres(url, CLIENTS + 1);
  try {
    await migrate(database.db);
    const start = new Date('2026-01-01T00:00:00Z');
    // Every session is 10,000 minutes behind: there is always a minute due.
    const clock = new ManualClock(new Date(start.getTime() + 10_000 * 60_000));
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const { deps } = await buildApp({ config, database, clock, ids: randomIds });
    const db = database.db;
    const hotExpert = randomIds.uuid();
    // Set-up in bulk: N clients with funded wallets (each a real top-up transfer), N live sessions.
    await sql`insert into users (id, role, email, name, created_at)
      select gen_random_uuid(), 'client', 'c' || g || '@bench', 'c', ${start}::timestamptz from generate_series(1, ${SESSIONS}) g`.execute(
      db,
    );
    await sql`insert into users (id, role, email, name, created_at)
      select ${hotExpert}::uuid, 'expert', 'hot@bench', 'hot', ${start}::timestamptz
      union all select gen_random_uuid(), 'expert', 'e' || g || '@bench', 'e', ${start}::timestamptz from generate_series(1, ${hot ? 0 : SESSIONS}) g`.execute(
      db,
    );
    await sql`insert into ledger_accounts (id, kind, owner_id, currency, created_at) values ('provider:bench', 'provider_cash', null, 'USD', ${start}::timestamptz)`.execute(
      db,
    );
    await sql`insert into ledger_accounts (id, kind, owner_id, currency, balance, created_at)
      select 'wallet:' || id, 'wallet', id, 'USD', 100000000, ${start}::timestamptz from users where role = 'client'`.execute(
      db,
    );
    await sql`insert into ledger_transfers (id, debit_account, credit_account, amount, kind, created_at)
      select 'topup:' || owner_id || ':bench', 'provider:bench', id, 100000000, 'top_up', ${start}::timestamptz from ledger_accounts where kind = 'wallet'`.execute(
      db,
    );
    await sql`insert into sessions (id, kind, type, state, client_id, expert_id, rate_per_minute, started_at, paid_until, client_joined_at, expert_joined_at, created_at)
      select gen_random_uuid(), 'on_demand', 'chat', 'live', c.id,
        ${hot ? sql`${hotExpert}::uuid` : sql`e.id`}, 150, ${start}::timestamptz, ${start}::timestamptz, ${start}::timestamptz, ${start}::timestamptz, ${start}::timestamptz
      from (select id, row_number() over () as k from users where role = 'client') c
      ${hot ? sql`` : sql`join (select id, row_number() over () as k from users where role = 'expert' and id <> ${hotExpert}::uuid) e on e.k = c.k`}`.execute(
      db,
    );
    // What going live does for each session: its expert's earnings account and the platform's exist.
    await sql`insert into ledger_accounts (id, kind, owner_id, currency, created_at)
      select distinct 'earnings:' || expert_id, 'earnings', expert_id, 'USD', ${start}::timestamptz from sessions
      union select 'platform:revenue', 'platform_revenue', null, 'USD', ${start}::timestamptz`.execute(
      db,
    );
    await sql`create table bench_ids as select (row_number() over (order by id))::int as k, id from sessions`.execute(
      db,
    );
    await sql`alter table bench_ids add primary key (k)`.execute(db);
    await sql`analyze`.execute(db);

    const now = await clock.now();
    if (driver === 'pgbench') {
      const before = Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from ledger_transfers where kind = 'charge'`.execute(db)
        ).rows[0]!.n,
      );
      pgbench(
        url,
        `\\set k random(1, ${SESSIONS})\nselect * from hg_charge_session((select id from bench_ids where k = :k), '${now.toISOString()}', ${config.SPLIT_EXPERT_PERCENT}, ${LOW_BALANCE_MINUTES});\n`,
      );
      const after = Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from ledger_transfers where kind = 'charge'`.execute(db)
        ).rows[0]!.n,
      );
      const violations = await ledgerViolations(db, config.SPLIT_EXPERT_PERCENT);
      if (violations.length)
        throw new Error(`ledger violations after the run:\n${violations.slice(0, 10).join('\n')}`);
      return { rate: (after - before) / SECONDS, charged: after - before };
    }
    const ids = (await db.selectFrom('sessions').select('id').execute()).map((r) => r.id);
    let charged = 0;
    const until = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < until) {
          // One by one: a session picked at random, as pgbench picks an account.
          const r =
            batch === 1
              ? await chargeSession(deps, db, ids[Math.floor(Math.random() * ids.length)]!, now)
              : await chargeDueBatch(deps, db, now, batch);
          charged += r.claimed - r.unpaid.length;
        }
      }),
    );
    const rate = charged / SECONDS;
    const violations = await ledgerViolations(db, config.SPLIT_EXPERT_PERCENT);
    if (violations.length)
      throw new Error(`ledger violations after the run:\n${violations.slice(0, 10).join('\n')}`);
    return { rate, charged };
  } finally {
    await database.close();
    await dropDb(name);
  }
}

const cases = [
  { label: 'one by one, experts spread', hot: false, batch: 1, driver: 'node' },
  { label: 'batched (100/statement), experts spread', hot: false, batch: 100, driver: 'node' },
  { label: 'one by one, one hot expert', hot: true, batch: 1, driver: 'node' },
  { label: 'batched (100/statement), one hot expert', hot: true, batch: 100, driver: 'node' },
  { label: 'one by one, experts spread, from pgbench', hot: false, batch: 1, driver: 'pgbench' },
] as const;
const tpsRounds: number[] = [];
const rates: number[][] = cases.map(() => []);
for (let round = 1; round <= ROUNDS; round++) {
  const pgbName = `hg_bench_pgbench_${randomBytes(4).toString('hex')}`;
  const pgbUrl = await createDb(pgbName);
  try {
    tpsRounds.push(pgbench(pgbUrl));
  } finally {
    await dropDb(pgbName);
  }
  for (const [i, c] of cases.entries())
    rates[i]!.push((await chargesPerSecond(c.hot, c.batch, c.driver)).rate);
  console.log(
    `round ${round}: pgbench ${tpsRounds.at(-1)!.toFixed(0)} tps; charges/s ${rates.map((r) => r.at(-1)!.toFixed(0)).join(', ')}`,
  );
}

const tps = median(tpsRounds);
const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  `\nbench/billing — ${CLIENTS} clients, ${SECONDS} s per case, ${SESSIONS} live sessions, ${ROUNDS} rounds (medians), PostgreSQL ${new URL(base).host}`,
);
console.log(
  `${pad('case', 44)} ${pad('charges/s', 10)} ratio to pgbench tpcb-like (${tps.toFixed(0)} tps)`,
);
const med = rates.map(median);
for (const [i, c] of cases.entries())
  console.log(`${pad(c.label, 44)} ${pad(med[i]!.toFixed(0), 10)} ${(med[i]! / tps).toFixed(2)}×`);
console.log(
  `hot expert vs spread: one by one ${(med[2]! / med[0]!).toFixed(2)}×, batched ${(med[3]! / med[1]!).toFixed(2)}×`,
);
console.log('ledger invariants L1–L5 held after every case.');
