import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildLiveSession } from '../../../test-support/factories.ts';
import { connectRoom } from '../../../test-support/realtime.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');

/** The room tells each side the session's money, from the ledger: the client's cost, the expert's share. */
describeOnDatabases("a session's money in the room", (target) => {
  let server: TestServer;
  const stateOf = async (token: string) => {
    const { socket, state } = await connectRoom(server.url, token);
    socket.close();
    return state;
  };

  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  it('on demand: the client has paid each minute charged; the expert has their 70 %, rounded down per minute', async () => {
    server.clock.set(new Date(T0));
    // Voice at 200 a minute; minute 1 is charged at the start.
    const s = await buildLiveSession(server.deps, { type: 'voice', credit: 1000 });
    server.clock.set(new Date(T0 + 60_000));
    await runSweeps(server.deps); // minute 2
    const client = await stateOf(s.links.client.token);
    expect([client.balance, client.money]).toEqual([
      600,
      { spent: 400, earned: null, expertPercent: null },
    ]);
    const expert = await stateOf(s.links.expert.token);
    expect([expert.balance, expert.money]).toEqual([
      null,
      { spent: null, earned: 280, expertPercent: 70 },
    ]);
  });

  it("scheduled: the client's price is held in escrow; the expert sees the share its release will pay", async () => {
    server.clock.set(new Date(T0));
    const s = await buildLiveSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0),
      credit: 5000,
    });
    expect((await stateOf(s.links.client.token)).money.spent).toBe(2500);
    expect((await stateOf(s.links.expert.token)).money.earned).toBe(1750);
  });
});
