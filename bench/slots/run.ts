/**
 * bench/slots — open slots and bookings on a PostgreSQL server.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:slots -- [--runs 50] [--clients 16] [--seconds 10]
 *
 * 1. Open slots of one month: an expert with weekly hours (Mon–Fri 08:00–18:00, Sat 09:00–13:00,
 *    in Europe/Berlin), 50 date overrides and 1,000 booked sessions in that month; a client in
 *    America/New_York asks for every date of the month through the service (`availability()`,
 *    database reads included). Reported: p50/p95 of one whole month (30 dates), and of one date.
 * 2. Bookings under contention: --clients clients book for --seconds, each picking one of the
 *    next 200 open 15-minute slots at random, so many collide. Reported: bookings/s, refusals
 *    (slot_taken) and — checked afterwards — overlapping bookings, which must be zero.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { buildClient, buildExpert, fund, operator } from '../../test-support/factories.ts';
import { createDatabase, dropDatabase } from '../../test-support/postgres-admin.ts';
import { buildApp } from '../../server/src/app.ts';
import { bookSlot } from '../../server/src/booking/book.ts';
import { availability, putSchedule } from '../../server/src/booking/schedule.ts';
import { loadConfig } from '../../server/src/config.ts';
import { connectPostgres } from '../../server/src/db/connect.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { ManualClock } from '../../server/src/platform/clock.ts';
import type { Principal } from '../../server/src/platform/context.ts';
import { randomIds } from '../../server/src/platform/ids.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    clients: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
  },
});
const base = process.env.TEST_DATABASE_URL;
if (!base)
  throw new Error(
    'Set TEST_DATABASE_URL to a PostgreSQL server (the bench creates and drops its own database).',
  );

const name = `hg_bench_slots_${randomBytes(4).toString('hex')}`;
const url = await createDatabase(base, name);
const database = connectPostgres(url, 20);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
try {
  await migrate(database.db);
  const clock = new ManualClock(new Date('2026-05-01T00:00:00Z'));
  const config = loadConfig({
    DATABASE_URL: url,
    ROLES: 'api',
    LOG_LEVEL: 'silent',
    DEMO_SEED: 'false',
  });
  const { deps } = await buildApp({ config, database, clock, ids: randomIds });

  // 1. A busy month.
  const expert = await buildExpert(deps);
  const weekly = [1, 2, 3, 4, 5]
    .map((weekday) => ({ weekday, start: '08:00', end: '18:00' }))
    .concat([{ weekday: 6, start: '09:00', end: '13:00' }]);
  const overrides = Array.from({ length: 50 }, (_, i) => {
    const date = `2026-06-${String((i % 30) + 1).padStart(2, '0')}`;
    return i < 30
      ? { date, kind: 'extra' as const, start: '19:00', end: '21:00' }
      : { date, kind: 'off' as const, start: '12:00', end: '13:00' };
  });
  await putSchedule(deps, operator, expert.id, {
    timeZone: 'Europe/Berlin',
    weekly,
    overrides,
    bufferMinutes: 5,
    minNoticeMinutes: 120,
  });
  const client = await buildClient(deps);
  await fund(deps, client.id, 100_000_000);
  // 1,000 bookings in June, straight into the table (what booking writes): 34 a day from 06:00 UTC.
  const starts = Array.from({ length: 1000 }, (_, i) =>
    new Date(Date.UTC(2026, 5, 1 + (i % 30), 6, Math.floor(i / 30) * 15)).toISOString(),
  );
  await sql`insert into sessions (id, kind, type, state, client_id, expert_id, price, duration_minutes, scheduled_at, created_at, booked_range)
    select gen_random_uuid(), 'scheduled', 'chat', 'booked', ${client.id}::uuid, ${expert.id}::uuid, 2500, 15, t.at, now(), tstzrange(t.at, t.at + interval '15 minutes')
    from unnest(${starts}::timestamptz[]) as t(at)`.execute(deps.db);
  const booked = await deps.db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('expert_id', '=', expert.id)
    .executeTakeFirstOrThrow();

  const time = async (days: number, date: string) => {
    const t = performance.now();
    const r = await availability(deps, expert.id, { date, days, tz: 'America/New_York' });
    return { ms: performance.now() - t, slots: r.slots.length };
  };
  const month: number[] = [];
  const day: number[] = [];
  let slots = 0;
  for (let run = 0; run < Number(values.runs); run++) {
    const m = await time(30, '2026-06-01');
    month.push(m.ms);
    slots = m.slots;
    day.push((await time(1, `2026-06-${String(1 + (run % 30)).padStart(2, '0')}`)).ms);
  }
  console.log(
    `bench/slots — open slots (weekly hours, 50 overrides, ${booked.n} bookings in the month; ${slots} open slots), ${values.runs} runs, database reads included`,
  );
  console.log(
    `| one month (days=30, one call) | p50 ${pct(month, 0.5).toFixed(1)} ms | p95 ${pct(month, 0.95).toFixed(1)} ms |`,
  );
  console.log(
    `| one date | p50 ${pct(day, 0.5).toFixed(2)} ms | p95 ${pct(day, 0.95).toFixed(2)} ms |`,
  );

  // 2. Bookings under contention.
  const rival = await buildExpert(deps);
  await putSchedule(deps, operator, rival.id, {
    timeZone: 'UTC',
    weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })),
    overrides: [],
    bufferMinutes: 0,
    minNoticeMinutes: 0,
  });
  const clients: Principal[] = [];
  for (let i = 0; i < Number(values.clients); i++) {
    const c = await buildClient(deps);
    await fund(deps, c.id, 100_000_000);
    clients.push({ kind: 'user', userId: c.id, role: 'client', authSessionHash: '' });
  }
  const first = Date.parse('2026-05-02T00:00:00Z');
  const outcome = { booked: 0, taken: 0, other: 0 };
  const stopAt = performance.now() + Number(values.seconds) * 1000;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (p) => {
      while (performance.now() < stopAt) {
        // One of 200 slots a little ahead of what is already taken: collisions are frequent.
        const startsAt = new Date(
          first + (outcome.booked + Math.floor(Math.random() * 200)) * 15 * 60_000,
        ).toISOString();
        try {
          await bookSlot(deps, p, {
            expertId: rival.id,
            type: 'chat',
            startsAt,
            durationMinutes: 15,
            slotId: null,
            payWith: 'wallet',
          });
          outcome.booked++;
        } catch (err) {
          if ((err as { code?: string }).code === 'slot_taken') outcome.taken++;
          else outcome.other++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const { rows: overlaps } = await sql<{
    n: number;
  }>`select count(*)::int as n from sessions a join sessions b
    on a.expert_id = b.expert_id and a.id < b.id and a.booked_range && b.booked_range
    where a.expert_id = ${rival.id}::uuid and a.state in ('booked', 'open', 'live') and b.state in ('booked', 'open', 'live')`.execute(
    deps.db,
  );
  console.log(
    `| bookings under contention (${values.clients} clients, ${values.seconds} s) | ${(outcome.booked / elapsed).toFixed(0)} bookings/s | ${outcome.taken} slot_taken, ${outcome.other} other errors | overlapping bookings: ${overlaps[0]!.n} |`,
  );
} finally {
  await database.close();
  await dropDatabase(base, name);
}
