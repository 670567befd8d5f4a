import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../test-support/databases.ts';
import { buildClient } from '../../test-support/factories.ts';
import { startServer, type TestServer } from '../../test-support/server.ts';
import { accounts } from '../src/ledger/accounts.ts';
import { balanceOf } from '../src/ledger/ledger.ts';
import { availability } from '../src/booking/schedule.ts';
import { DEMO_CREDIT, seedDemo } from '../src/demo/seed.ts';

describeOnDatabases('demo seed', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  it('finishes a seed that died half-way (a demo client exists, the admin does not), crediting once', async () => {
    // What a start killed after creating the first demo client leaves behind.
    await buildClient(server.deps, { email: 'cleo@demo.hourglass', name: 'Cleo Client' });
    expect(await seedDemo(server.deps)).toEqual({ seeded: true });
    expect(await seedDemo(server.deps)).toEqual({ seeded: false });
    const people = await server.deps.db
      .selectFrom('users')
      .select(['id', 'email', 'role'])
      .where('email', 'like', '%@demo.hourglass')
      .execute();
    expect(people.map((p) => p.email).sort()).toEqual(
      ['admin', 'aria', 'ben', 'cleo', 'dan'].map((n) => `${n}@demo.hourglass`),
    );
    for (const c of people.filter((p) => p.role === 'client')) {
      expect(await balanceOf(server.deps.db, accounts.wallet(c.id))).toBe(DEMO_CREDIT);
    }
    // The demo experts have bookable hours: Tuesday 3 March, 09:00–17:00 in their zones.
    for (const e of people.filter((p) => p.role === 'expert')) {
      const open = await availability(server.deps, e.id, {
        date: '2026-03-03',
        days: 1,
        tz: 'UTC',
        duration: 60,
      });
      expect(open.slots).toHaveLength(8);
    }
  });
});
