import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildSession, joinBoth } from '../../../test-support/factories.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { accounts } from '../../src/ledger/accounts.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { balanceOf } from '../../src/ledger/ledger.ts';
import type { DomainEvent } from '../../src/platform/events.ts';
import { billingTick, escrowReleaseTick } from '../../src/sweeps/billing.ts';
import { deadlineTick } from '../../src/sweeps/schedule.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');

describeOnDatabases('per-minute billing and deadlines', (target) => {
  let server: TestServer;
  const events: DomainEvent[] = [];
  const at = (seconds: number) => server.clock.set(new Date(T0 + seconds * 1000));
  const session = async (id: string) =>
    await server.deps.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const charges = async (id: string) =>
    await server.deps.db
      .selectFrom('ledger_transfers')
      .select(['id', 'amount', 'created_at'])
      .where('session_id', '=', id)
      .where('kind', '=', 'charge')
      .orderBy('seq')
      .execute();

  /** An on-demand chat session (rate 100, fee 30) made live at T0 with `credit` in the wallet. */
  async function live(credit: number) {
    at(0);
    const s = await buildSession(server.deps, { credit });
    await joinBoth(server.deps, s);
    return s;
  }

  beforeAll(async () => {
    server = await startServer(target);
    server.deps.events.subscribe((e) => events.push(e));
  });
  afterAll(() => server?.close());

  it('E2: minute 1 is charged at started_at, split 70/30 (L5), paid_until one minute on', async () => {
    const s = await live(1000);
    const row = await session(s.session.id);
    expect(row.state).toBe('live');
    expect(row.paid_until).toEqual(new Date(T0 + 60_000));
    expect((await charges(s.session.id)).map((c) => [c.id, Number(c.amount)])).toEqual([
      [`ppm:${s.session.id}:1`, 100],
    ]);
    expect(await balanceOf(server.deps.db, accounts.wallet(s.client.id))).toBe(900);
    expect(await balanceOf(server.deps.db, accounts.earnings(s.expert.id))).toBe(70);
    expect(events).toContainEqual({
      type: 'billing.charged',
      sessionId: s.session.id,
      minute: 1,
      amount: 100,
      balance: 900,
      paidUntil: new Date(T0 + 60_000).toISOString(),
    });
  });

  it('each next minute is charged at its start by the sweep, not a moment before', async () => {
    const s = await live(1000);
    at(59.999);
    await billingTick(server.deps);
    expect(await charges(s.session.id)).toHaveLength(1);
    at(60);
    await billingTick(server.deps);
    expect((await charges(s.session.id)).map((c) => c.created_at)).toEqual([
      new Date(T0),
      new Date(T0 + 60_000),
    ]);
    expect((await session(s.session.id)).paid_until).toEqual(new Date(T0 + 120_000));
    expect(await ledgerViolations(server.deps.db, 70)).toEqual([]);
  });

  it('a late sweep catches up minute by minute, each at its own start', async () => {
    const s = await live(10_000);
    at(10 * 60 + 5);
    const r = await billingTick(server.deps);
    expect(r.failed).toBe(0);
    const c = await charges(s.session.id);
    expect(c).toHaveLength(11);
    expect(c.map((x) => x.created_at.getTime() - T0)).toEqual(
      Array.from({ length: 11 }, (_, i) => i * 60_000),
    );
    expect((await session(s.session.id)).paid_until).toEqual(new Date(T0 + 11 * 60_000));
  });

  it('E2: when the wallet cannot pay the next minute the session ends at paid_until with insufficient_funds', async () => {
    const s = await live(300);
    at(4 * 60 + 17); // the sweep arrives late: the end is still the paid time, not now
    await billingTick(server.deps);
    const row = await session(s.session.id);
    expect(row).toMatchObject({
      state: 'ended',
      end_reason: 'insufficient_funds',
      billed_seconds: 180,
    });
    expect(row.ended_at).toEqual(new Date(T0 + 180_000));
    expect(row.paid_until).toEqual(row.ended_at);
    expect(await balanceOf(server.deps.db, accounts.wallet(s.client.id))).toBe(0);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'session.ended',
        sessionId: s.session.id,
        reason: 'insufficient_funds',
        endedAt: new Date(T0 + 180_000).toISOString(),
      }),
    );
    at(3600);
    await billingTick(server.deps);
    expect(await charges(s.session.id)).toHaveLength(3);
  });

  it('a wallet that cannot pay minute 1 ends the session the moment it would start', async () => {
    const s = await live(50);
    const row = await session(s.session.id);
    expect(row).toMatchObject({
      state: 'ended',
      end_reason: 'insufficient_funds',
      billed_seconds: 0,
    });
    expect(await charges(s.session.id)).toHaveLength(0);
  });

  it('the low-balance warning fires once when fewer than 2 minutes remain', async () => {
    const s = await live(400);
    for (const t of [60, 120, 180]) {
      at(t);
      await billingTick(server.deps);
    }
    const warnings = events.filter(
      (e) => e.type === 'billing.low_balance' && e.sessionId === s.session.id,
    );
    // After minute 3 the wallet holds 100: one minute left.
    expect(warnings).toEqual([
      { type: 'billing.low_balance', sessionId: s.session.id, balance: 100, minutesLeft: 1 },
    ]);
  });

  it('two live sessions on one wallet are both charged each minute, and the wallet is never overdrawn', async () => {
    at(0);
    const a = await buildSession(server.deps, { credit: 500 });
    const b = await buildSession(server.deps, { credit: 0, client: a.client });
    await joinBoth(server.deps, a);
    await joinBoth(server.deps, b);
    // 300 left after both minute-1 charges: minute 2 of each is paid, then one more minute.
    at(60);
    const r = await billingTick(server.deps, 100);
    expect(r).toEqual({ processed: 2, failed: 0 });
    expect(await balanceOf(server.deps.db, accounts.wallet(a.client.id))).toBe(100);
    at(120);
    await billingTick(server.deps, 100);
    const rows = [await session(a.session.id), await session(b.session.id)];
    expect(rows.map((x) => x.state).sort()).toEqual(['ended', 'live']);
    expect(rows.find((x) => x.state === 'ended')).toMatchObject({
      end_reason: 'insufficient_funds',
      billed_seconds: 120,
    });
    expect(await balanceOf(server.deps.db, accounts.wallet(a.client.id))).toBe(0);
    expect(await ledgerViolations(server.deps.db, 70)).toEqual([]);
  });

  it('two sweepers at once charge each minute once', async () => {
    const sessions = await Promise.all(Array.from({ length: 6 }, () => live(100_000)));
    at(5 * 60);
    await Promise.all([
      billingTick(server.deps, 2),
      billingTick(server.deps, 2),
      billingTick(server.deps, 3),
    ]);
    for (const s of sessions) expect(await charges(s.session.id)).toHaveLength(6);
    expect(await ledgerViolations(server.deps.db, 70)).toEqual([]);
  });

  it('D5 + E5: a scheduled session ends at ends_at; its escrow is released 24 h later, split 70/30', async () => {
    at(0);
    const s = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0 + 60_000),
      durationMinutes: 15,
    });
    await joinBoth(server.deps, s);
    at(20 * 60);
    await deadlineTick(server.deps);
    const ended = await session(s.session.id);
    expect(ended).toMatchObject({ state: 'ended', end_reason: 'time_up', escrow_state: 'held' });
    expect(ended.ended_at).toEqual(new Date(T0 + 15 * 60_000));
    expect(ended.escrow_release_at).toEqual(new Date(T0 + 15 * 60_000 + 24 * 3_600_000));
    at(15 * 60 + 24 * 3600 - 1);
    await escrowReleaseTick(server.deps);
    expect((await session(s.session.id)).escrow_state).toBe('held');
    at(15 * 60 + 24 * 3600);
    await escrowReleaseTick(server.deps);
    expect((await session(s.session.id)).escrow_state).toBe('released');
    expect(await balanceOf(server.deps.db, accounts.escrow(s.session.id))).toBe(0);
    expect(await balanceOf(server.deps.db, accounts.earnings(s.expert.id))).toBe(1050); // 70 % of 1500
    expect(await ledgerViolations(server.deps.db, 70)).toEqual([]);
  });
});
