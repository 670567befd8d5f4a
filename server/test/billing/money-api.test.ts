import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  PASSWORD,
  buildApiKey,
  buildClient,
  buildExpert,
  buildSession,
  fund,
  joinBoth,
  signIn,
} from '../../../test-support/factories.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { escrowReleaseTick } from '../../src/sweeps/billing.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');

describeOnDatabases('wallet, escrow, earnings and payouts API', (target) => {
  let server: TestServer;
  let key: string;
  const host = () => clientFor(server.url, { apiKey: key });
  const asToken = (joinToken: string) => clientFor(server.url, { joinToken });
  const escrowOf = (id: string) => host().call('sessionEscrow', { params: { id } });
  const at = (seconds: number) => server.clock.set(new Date(T0 + seconds * 1000));

  async function signedInClient() {
    const c = await buildClient(server.deps, { password: PASSWORD });
    return { id: c.id, api: clientFor(server.url, await signIn(server, c.email, PASSWORD)) };
  }

  /** A scheduled 30-minute chat (price 2500) that both attended and that ended at T0 + 32 min. */
  async function completed() {
    at(0);
    const s = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0 + 60_000),
      durationMinutes: 30,
    });
    await joinBoth(server.deps, s);
    at(32 * 60);
    await runSweeps(server.deps);
    return s;
  }

  beforeAll(async () => {
    server = await startServer(target);
    key = await buildApiKey(server.deps);
  });
  afterAll(async () => {
    expect(await ledgerViolations(server.deps.db, 70)).toEqual([]);
    await server?.close();
  });

  it('E1: a top-up with an Idempotency-Key credits once, however often it is sent', async () => {
    const c = await signedInClient();
    const topUp = (amount: number, idempotencyKey?: string) =>
      c.api.call('topUp', { body: { amount }, ...(idempotencyKey && { idempotencyKey }) });
    const rs = await Promise.all([1, 2, 3].map(() => topUp(2500, 'checkout-42')));
    expect(new Set(rs.map((r) => r.id)).size).toBe(1);
    expect(await c.api.call('wallet', {})).toEqual({ balance: 2500, currency: 'USD' });
    const other = await refusal(topUp(2600, 'checkout-42'));
    expect([other.status, other.code]).toEqual([409, 'idempotency_conflict']);
    expect((await refusal(topUp(99))).code).toBe('validation_failed');
  });

  it('E1: wallet history is newest first, signed, and pages without gaps', async () => {
    const c = await signedInClient();
    for (const amount of [100, 200, 300, 400, 500]) await c.api.call('topUp', { body: { amount } });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { amount: number }[]; nextCursor: string | null } = await c.api.call(
        'walletHistory',
        { query: { limit: 2, ...(cursor && { cursor }) } },
      );
      seen.push(...page.items.map((i) => i.amount));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([500, 400, 300, 200, 100]);
  });

  it('operators credit client wallets (not experts), once per key', async () => {
    const [client, expert] = await Promise.all([
      buildClient(server.deps),
      buildExpert(server.deps),
    ]);
    const body = { amount: 700, reason: 'sorry for the outage' };
    const credit = (userId: string, idempotencyKey?: string) =>
      host().call('adminCredit', {
        params: { userId },
        body,
        ...(idempotencyKey && { idempotencyKey }),
      });
    const a = await credit(client.id, 'outage-1');
    const b = await credit(client.id, 'outage-1');
    expect([a.balance, b.balance]).toEqual([700, 700]);
    expect((await refusal(credit(expert.id))).code).toBe('validation_failed');
  });

  it('B3/E5: a scheduled session needs its price in the wallet; the price moves into escrow', async () => {
    const [client, expert] = await Promise.all([
      buildClient(server.deps),
      buildExpert(server.deps),
    ]);
    const body = {
      kind: 'scheduled',
      type: 'chat',
      clientId: client.id,
      expertId: expert.id,
      scheduledAt: new Date(T0 + 3_600_000).toISOString(),
      durationMinutes: 30,
    } as const;
    at(0);
    const poor = await refusal(host().call('createSession', { body }));
    expect([poor.status, poor.code]).toEqual([402, 'insufficient_funds']);
    expect(
      await server.deps.db
        .selectFrom('sessions')
        .select('id')
        .where('client_id', '=', client.id)
        .execute(),
    ).toEqual([]);
    await fund(server.deps, client.id, 3000);
    const ok = await host().call('createSession', { body });
    expect(await escrowOf(ok.session.id)).toMatchObject({
      state: 'held',
      held: 2500,
      releaseAt: null,
    });
  });

  it('E5: a dispute inside the window stops the release; an operator settles it with a partial refund', async () => {
    const s = await completed();
    const id = s.session.id;
    const d = await asToken(s.links.client.token).call('openDispute', {
      params: { id },
      body: { reason: 'ended early' },
    });
    expect(d).toMatchObject({ state: 'disputed', held: 2500, disputeReason: 'ended early' });
    at(32 * 60 + 48 * 3600);
    await escrowReleaseTick(server.deps);
    expect((await escrowOf(id)).state).toBe('disputed');
    const refund = () => host().call('refundEscrow', { params: { id }, body: { amount: 1000 } });
    expect(await refund()).toMatchObject({ state: 'settled', held: 0 });
    expect(await refund()).toMatchObject({ state: 'settled', held: 0 });
    const release = host().call('releaseEscrow', { params: { id }, body: {} });
    expect((await refusal(release)).code).toBe('escrow_not_held');
    const moves = await server.deps.db
      .selectFrom('ledger_transfers')
      .select(['id', 'amount'])
      .where('session_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(moves.map((m) => [m.id.split(':').slice(2).join(':'), Number(m.amount)])).toEqual([
      ['hold', 2500],
      ['refund', 1000],
      ['release', 1500],
      ['release:fee', 450],
    ]);
  });

  it('E5: a dispute after the release window is refused', async () => {
    const s = await completed();
    at(32 * 60 + 24 * 3600);
    const late = await refusal(
      asToken(s.links.client.token).call('openDispute', {
        params: { id: s.session.id },
        body: { reason: 'late' },
      }),
    );
    expect([late.status, late.code]).toEqual([409, 'dispute_window_closed']);
  });

  it('B5: expert no-show refunds everything at once; client no-show releases after the window', async () => {
    at(0);
    const noShow = (id: string, absent: 'client' | 'expert') =>
      host().call('noShow', { params: { id }, body: { absent } });
    const a = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0 + 60_000),
    });
    expect((await noShow(a.session.id, 'expert')).state).toBe('no_show');
    expect(await escrowOf(a.session.id)).toMatchObject({ state: 'refunded', held: 0 });
    const b = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0 + 60_000),
    });
    await noShow(b.session.id, 'client');
    expect((await escrowOf(b.session.id)).state).toBe('held');
    at(24 * 3600);
    await escrowReleaseTick(server.deps);
    expect((await escrowOf(b.session.id)).state).toBe('released');
  });

  it('an operator cancelling a booked session refunds the escrow in full', async () => {
    at(0);
    const s = await buildSession(server.deps, { kind: 'scheduled', credit: 2500 });
    await host().call('cancelSession', { params: { id: s.session.id }, body: {} });
    expect(await escrowOf(s.session.id)).toMatchObject({ state: 'refunded', held: 0 });
    const wallet = await server.deps.db
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('id', '=', `wallet:${s.client.id}`)
      .executeTakeFirstOrThrow();
    expect(Number(wallet.balance)).toBe(2500);
  });

  it('E5: escrow statistics count and sum each outcome', async () => {
    const stats = await host().call('escrowStats', {});
    expect(stats.currency).toBe('USD');
    const rows = await server.deps.db
      .selectFrom('sessions')
      .select(['escrow_state'])
      .where('escrow_state', 'is not', null)
      .execute();
    expect(stats.held.count).toBe(rows.filter((r) => r.escrow_state === 'held').length);
    expect(stats.refunded.count).toBeGreaterThanOrEqual(2);
    expect(stats.released.sum).toBeGreaterThan(0);
  });

  it('E7: earnings add up per session and in total; a payout is pending, then paid or returned once', async () => {
    const expert = await buildExpert(server.deps, { password: PASSWORD });
    const mine = clientFor(server.url, await signIn(server, expert.email, PASSWORD));
    const earnings = () => mine.call('myEarnings', {});
    const client = await buildClient(server.deps);
    await fund(server.deps, client.id, 10_000);
    at(0);
    const created = await host().call('createSession', {
      body: { kind: 'on_demand', type: 'video', clientId: client.id, expertId: expert.id },
    });
    const id = created.session.id;
    for (const role of ['client', 'expert'] as const)
      await asToken(created.links[role].token).call('joinSession', { params: { id }, body: {} });
    at(150);
    await runSweeps(server.deps); // minutes 2 and 3 at 300 each
    await host().call('endSession', { params: { id }, body: {} });
    expect(await earnings()).toMatchObject({
      gross: 900,
      fees: 270,
      net: 630,
      paidOut: 0,
      payoutsPending: 0,
      available: 630,
    });
    expect((await mine.call('myEarningsBySession', {})).items).toEqual([
      { sessionId: id, gross: 900, fees: 270, net: 630, at: expect.any(String) },
    ]);

    const payout = (amount: number, idempotencyKey?: string) =>
      host().call('createPayout', {
        body: { expertId: expert.id, amount },
        ...(idempotencyKey && { idempotencyKey }),
      });
    expect((await refusal(payout(631))).code).toBe('insufficient_funds');
    const p = await payout(600, 'week-10');
    expect(p).toMatchObject({ status: 'pending', amount: 600 });
    expect(await earnings()).toMatchObject({ payoutsPending: 600, available: 30 });
    const resolve = (payoutId: string, how: 'completePayout' | 'failPayout') =>
      host().call(how, { params: { payoutId }, body: {} });
    expect((await resolve(p.id, 'completePayout')).status).toBe('paid');
    expect((await refusal(resolve(p.id, 'failPayout'))).code).toBe('already_resolved');
    expect(await earnings()).toMatchObject({ paidOut: 600, payoutsPending: 0, available: 30 });

    const q = await payout(30);
    expect((await resolve(q.id, 'failPayout')).status).toBe('failed');
    expect(await earnings()).toMatchObject({ paidOut: 600, available: 30 });
  });
});
