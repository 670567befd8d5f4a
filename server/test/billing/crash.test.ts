import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLiveSession } from '../../../test-support/factories.ts';
import { createDatabase, dropDatabase } from '../../../test-support/postgres-admin.ts';
import { START_MS, withStarts } from '../../../test-support/budgets.ts';
import { scaled, seed } from '../../../test-support/scale.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { connectPostgres, type DatabaseHandle } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { acceleratedClock, databaseClock } from '../../src/platform/clock.ts';
import type { Deps } from '../../src/platform/context.ts';
import { randomIds } from '../../src/platform/ids.ts';

const root = new URL('../../../', import.meta.url).pathname;
const CYCLES = scaled(30);
const SESSIONS = 20;
/** One real second is one billed minute. */
const SPEEDUP = 60;
const url = process.env.TEST_DATABASE_URL;

/**
 * The crash test: a real server process bills 20 live sessions on the PostgreSQL
 * server and is killed with SIGKILL at random moments, then restarted, 30 times. Afterwards
 * every ledger invariant holds, no minute was charged twice, and once a sweep has run again no
 * live session is more than a minute behind. Needs a PostgreSQL server (PGlite lives inside the
 * killed process and runs with fsync off).
 */
describe.runIf(url)('crash test: SIGKILL while billing', () => {
  const dbName = `hg_crash_${randomBytes(4).toString('hex')}`;
  let dbUrl: string;
  let database: DatabaseHandle;
  let deps: Deps;
  const epoch = new Date();
  const env = () => ({
    ...process.env,
    DATABASE_URL: dbUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    DEMO_SEED: 'false',
    LOG_LEVEL: 'info',
    CLOCK_SPEEDUP: String(SPEEDUP),
    CLOCK_EPOCH: epoch.toISOString(),
    SWEEP_INTERVAL_MS: '100',
  });
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    dbUrl = await createDatabase(url!, dbName);
    database = connectPostgres(dbUrl, 5);
    await migrate(database.db);
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      CLOCK_SPEEDUP: String(SPEEDUP),
      CLOCK_EPOCH: epoch.toISOString(),
    });
    ({ deps } = await buildApp({
      config,
      database,
      clock: acceleratedClock(databaseClock, epoch, SPEEDUP),
      ids: randomIds,
    }));
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await database?.close();
    await dropDatabase(url!, dbName);
  });

  /** Starts the server; resolves once its log says `until` (by default: it listens). */
  function start(until = '"msg":"listening"', logLevel = 'info'): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: root,
      env: { ...env(), LOG_LEVEL: logLevel },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () =>
          reject(new Error(`server not ready within ${START_MS / 1000} s:\n${out.slice(-2000)}`)),
        START_MS,
      );
      child.on('exit', (code, signal) =>
        reject(new Error(`server exited early (${code ?? signal}):\n${out.slice(-2000)}`)),
      );
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
        const listening = out.indexOf('"msg":"listening"');
        if (listening >= 0 && out.indexOf(until, listening) >= 0) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.stderr!.on('data', (d: Buffer) => (out += d));
    });
  }

  const killed = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', () => resolve());
      child.kill('SIGKILL');
    });

  it(
    `${CYCLES} SIGKILLs at random moments while ${SESSIONS} sessions are billed (seed ${seed})`,
    async () => {
      // 20 live on-demand chat sessions at 100 a minute; a few wallets run dry during the test.
      const sessions = [];
      for (let i = 0; i < SESSIONS; i++) {
        const s = await buildLiveSession(deps, { credit: i % 5 === 0 ? 1500 : 1_000_000 });
        sessions.push(s.session.id);
      }
      const delays = fc.sample(fc.integer({ min: 50, max: 2000 }), { numRuns: CYCLES, seed });
      console.log(
        `[crash] ${CYCLES} cycles, kill delays (ms) from seed ${seed}: ${delays.join(',')}`,
      );
      for (const delay of delays) {
        const child = await start();
        await new Promise((r) => setTimeout(r, delay)); // the random moment of the crash, not a wait for an event
        await killed(child);
      }

      // One more start: right after it reports a completed sweep pass, nothing live may be behind.
      const child = await start('"msg":"sweep pass"', 'debug');
      const now = await deps.clock.now(deps.db);
      const live = await deps.db
        .selectFrom('sessions')
        .select(['id', 'paid_until'])
        .where('state', '=', 'live')
        .execute();
      for (const s of live)
        expect(now.getTime() - s.paid_until!.getTime()).toBeLessThanOrEqual(60_000);
      await killed(child);

      expect(await ledgerViolations(deps.db, 70)).toEqual([]);
      const charges = await deps.db
        .selectFrom('ledger_transfers')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .where('kind', '=', 'charge')
        .executeTakeFirstOrThrow();
      const ended = await deps.db
        .selectFrom('sessions')
        .select('end_reason')
        .where('id', 'in', sessions)
        .where('state', '=', 'ended')
        .execute();
      console.log(
        `[crash] ${Number(charges.n)} minutes charged across ${SESSIONS} sessions; ${ended.length} ended (${ended.map((e) => e.end_reason).join(', ')}); ${live.length} live`,
      );
      expect(Number(charges.n)).toBeGreaterThan(SESSIONS * 10);
      expect(ended.every((e) => e.end_reason === 'insufficient_funds')).toBe(true);
      // Each cycle starts a node process (≈ 2 s idle; far more on a loaded machine) and kills it
      // within 2 s; the last one also waits for a sweep pass.
    },
    withStarts(CYCLES + 1, CYCLES * 2000 + 60_000),
  );
});
