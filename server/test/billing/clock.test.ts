import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSession, joinBoth } from '../../../test-support/factories.ts';
import { scaled, scaledTimeout, seed } from '../../../test-support/scale.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { endSession } from '../../src/sessions/service.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const RUNS = scaled(25);

/**
 * The clock test: the injected clock jumps forward and back at random while sessions are
 * billed and ended. No session is ever charged for a minute that began outside its live time,
 * and none ends before its paid time.
 */
describeOnDatabases('billing under a clock that moves forward and back', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  it(
    `${RUNS} random clock walks (seed ${seed})`,
    async () => {
      let day = Date.parse('2026-03-02T12:00:00Z');
      const step = fc.oneof(
        fc.record({ move: fc.integer({ min: -300, max: 600 }) }),
        fc.record({ end: fc.integer({ min: 0, max: 2 }) }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(step, { minLength: 1, maxLength: 12 }),
          fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 3, maxLength: 3 }),
          async (steps, credits) => {
            const deps = server.deps;
            // Each run in its own day, so one run's clock steps never reach another run's sessions.
            const t0 = (day += 86_400_000);
            server.clock.set(new Date(t0));
            const sessions = [];
            for (const credit of credits) {
              const s = await buildSession(deps, { credit });
              await joinBoth(deps, s);
              sessions.push(s);
            }
            let latest = t0;
            for (const st of steps) {
              if ('move' in st) server.clock.advance(st.move * 1000);
              else
                await endSession(
                  deps,
                  { kind: 'apiKey', keyId: deps.ids.uuid() },
                  sessions[st.end]!.session.id,
                  undefined,
                );
              latest = Math.max(latest, (await server.clock.now()).getTime());
              await runSweeps(deps);
              const now = (await server.clock.now()).getTime();
              const rows = await deps.db
                .selectFrom('sessions')
                .selectAll()
                .where(
                  'id',
                  'in',
                  sessions.map((s) => s.session.id),
                )
                .execute();
              for (const r of rows) {
                const charged = r.billed_seconds / 60;
                const started = r.started_at!.getTime();
                // Charged minutes all began while the session was live, and never later than the latest instant seen.
                expect(started + (charged - 1) * 60_000).toBeLessThanOrEqual(
                  r.ended_at ? r.ended_at.getTime() : latest,
                );
                if (r.state === 'live')
                  expect(r.paid_until!.getTime()).toBeGreaterThan(Math.min(now, latest));
                if (r.end_reason === 'insufficient_funds') expect(r.ended_at).toEqual(r.paid_until);
                if (r.state === 'ended')
                  expect(r.ended_at!.getTime()).toBeLessThanOrEqual(r.paid_until!.getTime());
              }
            }
            expect(await ledgerViolations(deps.db, 70)).toEqual([]);
          },
        ),
        { numRuns: RUNS, seed },
      );
    },
    scaledTimeout(60_000),
  );
});
