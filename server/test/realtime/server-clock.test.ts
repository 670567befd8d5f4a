import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSession } from '../../../test-support/factories.ts';
import { connectRoom, nextEvent, type RoomClient } from '../../../test-support/realtime.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { startSweeper } from '../../src/sweeps/sweeper.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');

/**
 * D5 with the sweeper loop running as in production (every SWEEP_INTERVAL_MS, default 1 s):
 * the moment the sweep decides an end (its `session.ended` is published after the commit),
 * `session:ended` is on its way to both participants and arrives within 1 s.
 */
describeOnDatabases('the server clock ends sessions', (target) => {
  let server: TestServer;
  let sweeper: { stop(): Promise<void> };
  const sockets: RoomClient[] = [];

  beforeAll(async () => {
    server = await startServer(target);
    sweeper = startSweeper(server.deps);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    await sweeper?.stop();
    await server?.close();
  });

  /** Both connected; resolves with when the decision was made and when each side heard it. */
  async function endedBy(sessionOptions: Parameters<typeof buildSession>[1], reach: number) {
    server.clock.set(new Date(T0));
    const s = await buildSession(server.deps, sessionOptions);
    const client = await connectRoom(server.url, s.links.client.token);
    const expert = await connectRoom(server.url, s.links.expert.token);
    sockets.push(client.socket, expert.socket);
    let decidedAt = Number.NaN;
    const unsubscribe = server.deps.events.subscribe((e) => {
      if (e.type === 'session.ended' && e.sessionId === s.session.id) decidedAt = performance.now();
    });
    const heard = [client.socket, expert.socket].map((socket) =>
      nextEvent(socket, 'session:ended', () => true, 5000).then((p) => ({
        ...p,
        after: performance.now() - decidedAt,
      })),
    );
    server.clock.set(new Date(T0 + reach * 1000));
    try {
      return await Promise.all(heard);
    } finally {
      unsubscribe();
    }
  }

  it('a scheduled session at its deadline: time_up reaches both within 1 s of the decision', async () => {
    const heard = await endedBy(
      { kind: 'scheduled', scheduledAt: new Date(T0), durationMinutes: 15 },
      900,
    );
    for (const h of heard) {
      expect(h).toMatchObject({ reason: 'time_up', endedAt: new Date(T0 + 900_000).toISOString() });
      expect(h.after).toBeGreaterThanOrEqual(0);
      expect(h.after).toBeLessThan(1000);
    }
  });

  it('an on-demand session that cannot pay its next minute: insufficient_funds reaches both within 1 s', async () => {
    // Two minutes of credit at the expert's rate of 100.
    const heard = await endedBy({ credit: 200 }, 120);
    for (const h of heard) {
      expect(h).toMatchObject({
        reason: 'insufficient_funds',
        endedAt: new Date(T0 + 120_000).toISOString(),
      });
      expect(h.after).toBeGreaterThanOrEqual(0);
      expect(h.after).toBeLessThan(1000);
    }
  });
});
