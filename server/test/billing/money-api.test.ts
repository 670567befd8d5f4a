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
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { escrowReleaseTick } from '../../src/sweeps/billing.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const T0 = Date.parse('2026-03-02T12:00:00Z');

describeOnDatabases('wallet, escrow, earnings and payouts API', (target) => {
  let server: TestServer;
  let key: string;
  const api = (method: string, path: string, opts: Parameters<typeof call>[3] = {}) =>
    call(server.url, method, path, opts);
  const asKey = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${key}`,
    ...extra,
  });
  const at = (seconds: number) => server.clock.set(new Date(T0 + seconds * 1000));

  async function signedInClient() {
    const c = await buildClient(server.deps, { password: PASSWORD });
    return { id: c.id, headers: await signIn(server, c.email, PASSWORD) };
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
    const headers = { ...c.headers, 'idempotency-key': 'checkout-42' };
    const rs = await Promise.all(
      [1, 2, 3].map(() => api('POST', '/api/wallet/top-ups', { headers, body: { amount: 2500 } })),
    );
    expect(rs.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(rs.map((r) => r.body.id)).size).toBe(1);
    expect((await api('GET', '/api/wallet', { headers: c.headers })).body).toEqual({
      balance: 2500,
      currency: 'USD',
    });
    const other = await api('POST', '/api/wallet/top-ups', { headers, body: { amount: 2600 } });
    expect([other.status, errorCode(other)]).toEqual([409, 'idempotency_conflict']);
    const small = await api('POST', '/api/wallet/top-ups', {
      headers: c.headers,
      body: { amount: 99 },
    });
    expect(errorCode(small)).toBe('validation_failed');
  });

  it('E1: wallet history is newest first, signed, and pages without gaps', async () => {
    const c = await signedInClient();
    for (const amount of [100, 200, 300, 400, 500])
      await api('POST', '/api/wallet/top-ups', { headers: c.headers, body: { amount } });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r = await api(
        'GET',
        `/api/wallet/transactions?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { headers: c.headers },
      );
      seen.push(...r.body.items.map((i: { amount: number }) => i.amount));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([500, 400, 300, 200, 100]);
  });

  it('operators credit client wallets (not experts), once per key', async () => {
    const [client, expert] = await Promise.all([
      buildClient(server.deps),
      buildExpert(server.deps),
    ]);
    const body = { amount: 700, reason: 'sorry for the outage' };
    const a = await api('POST', `/api/admin/wallets/${client.id}/credit`, {
      headers: asKey({ 'idempotency-key': 'outage-1' }),
      body,
    });
    const b = await api('POST', `/api/admin/wallets/${client.id}/credit`, {
      headers: asKey({ 'idempotency-key': 'outage-1' }),
      body,
    });
    expect([a.body.balance, b.body.balance]).toEqual([700, 700]);
    const toExpert = await api('POST', `/api/admin/wallets/${expert.id}/credit`, {
      headers: asKey(),
      body,
    });
    expect(errorCode(toExpert)).toBe('validation_failed');
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
    };
    at(0);
    const poor = await api('POST', '/api/sessions', { headers: asKey(), body });
    expect([poor.status, errorCode(poor)]).toEqual([402, 'insufficient_funds']);
    expect(
      await server.deps.db
        .selectFrom('sessions')
        .select('id')
        .where('client_id', '=', client.id)
        .execute(),
    ).toEqual([]);
    await fund(server.deps, client.id, 3000);
    const ok = await api('POST', '/api/sessions', { headers: asKey(), body });
    expect(ok.status).toBe(201);
    const escrow = await api('GET', `/api/sessions/${ok.body.session.id}/escrow`, {
      headers: asKey(),
    });
    expect(escrow.body).toMatchObject({ state: 'held', held: 2500, releaseAt: null });
  });

  it('E5: a dispute inside the window stops the release; an operator settles it with a partial refund', async () => {
    const s = await completed();
    const client = { 'x-join-token': s.links.client.token };
    const d = await api('POST', `/api/sessions/${s.session.id}/dispute`, {
      headers: client,
      body: { reason: 'ended early' },
    });
    expect(d.body).toMatchObject({ state: 'disputed', held: 2500, disputeReason: 'ended early' });
    at(32 * 60 + 48 * 3600);
    await escrowReleaseTick(server.deps);
    expect(
      (await api('GET', `/api/sessions/${s.session.id}/escrow`, { headers: asKey() })).body.state,
    ).toBe('disputed');
    const settled = await api('POST', `/api/admin/escrow/${s.session.id}/refund`, {
      headers: asKey(),
      body: { amount: 1000 },
    });
    expect(settled.body).toMatchObject({ state: 'settled', held: 0 });
    const again = await api('POST', `/api/admin/escrow/${s.session.id}/refund`, {
      headers: asKey(),
      body: { amount: 1000 },
    });
    expect(again.body).toMatchObject({ state: 'settled', held: 0 });
    const release = await api('POST', `/api/admin/escrow/${s.session.id}/release`, {
      headers: asKey(),
    });
    expect(errorCode(release)).toBe('escrow_not_held');
    const moves = await server.deps.db
      .selectFrom('ledger_transfers')
      .select(['id', 'amount'])
      .where('session_id', '=', s.session.id)
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
    const late = await api('POST', `/api/sessions/${s.session.id}/dispute`, {
      headers: { 'x-join-token': s.links.client.token },
      body: { reason: 'late' },
    });
    expect([late.status, errorCode(late)]).toEqual([409, 'dispute_window_closed']);
  });

  it('B5: expert no-show refunds everything at once; client no-show releases after the window', async () => {
    at(0);
    const a = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0 + 60_000),
    });
    const r = await api('POST', `/api/sessions/${a.session.id}/no-show`, {
      headers: asKey(),
      body: { absent: 'expert' },
    });
    expect(r.body.state).toBe('no_show');
    expect(
      (await api('GET', `/api/sessions/${a.session.id}/escrow`, { headers: asKey() })).body,
    ).toMatchObject({ state: 'refunded', held: 0 });
    const b = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0 + 60_000),
    });
    await api('POST', `/api/sessions/${b.session.id}/no-show`, {
      headers: asKey(),
      body: { absent: 'client' },
    });
    expect(
      (await api('GET', `/api/sessions/${b.session.id}/escrow`, { headers: asKey() })).body.state,
    ).toBe('held');
    at(24 * 3600);
    await escrowReleaseTick(server.deps);
    expect(
      (await api('GET', `/api/sessions/${b.session.id}/escrow`, { headers: asKey() })).body.state,
    ).toBe('released');
  });

  it('an operator cancelling a booked session refunds the escrow in full', async () => {
    at(0);
    const s = await buildSession(server.deps, { kind: 'scheduled', credit: 2500 });
    await api('POST', `/api/sessions/${s.session.id}/cancel`, { headers: asKey() });
    expect(
      (await api('GET', `/api/sessions/${s.session.id}/escrow`, { headers: asKey() })).body,
    ).toMatchObject({ state: 'refunded', held: 0 });
    const wallet = await server.deps.db
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('id', '=', `wallet:${s.client.id}`)
      .executeTakeFirstOrThrow();
    expect(Number(wallet.balance)).toBe(2500);
  });

  it('E5: escrow statistics count and sum each outcome', async () => {
    const stats = await api('GET', '/api/admin/escrow/stats', { headers: asKey() });
    expect(stats.body.currency).toBe('USD');
    const rows = await server.deps.db
      .selectFrom('sessions')
      .select(['escrow_state'])
      .where('escrow_state', 'is not', null)
      .execute();
    expect(stats.body.held.count).toBe(rows.filter((r) => r.escrow_state === 'held').length);
    expect(stats.body.refunded.count).toBeGreaterThanOrEqual(2);
    expect(stats.body.released.sum).toBeGreaterThan(0);
  });

  it('E7: earnings add up per session and in total; a payout is pending, then paid or returned once', async () => {
    const expert = await buildExpert(server.deps, { password: PASSWORD });
    const headers = await signIn(server, expert.email, PASSWORD);
    const client = await buildClient(server.deps);
    await fund(server.deps, client.id, 10_000);
    at(0);
    const created = await api('POST', '/api/sessions', {
      headers: asKey(),
      body: { kind: 'on_demand', type: 'video', clientId: client.id, expertId: expert.id },
    });
    const id = created.body.session.id;
    for (const role of ['client', 'expert'] as const)
      await api('POST', `/api/sessions/${id}/join`, {
        headers: { 'x-join-token': created.body.links[role].token },
      });
    at(150);
    await runSweeps(server.deps); // minutes 2 and 3 at 300 each
    await api('POST', `/api/sessions/${id}/end`, { headers: asKey() });
    const e = await api('GET', '/api/experts/me/earnings', { headers });
    expect(e.body).toMatchObject({
      gross: 900,
      fees: 270,
      net: 630,
      paidOut: 0,
      payoutsPending: 0,
      available: 630,
    });
    const bySession = await api('GET', '/api/experts/me/earnings/sessions', { headers });
    expect(bySession.body.items).toEqual([
      { sessionId: id, gross: 900, fees: 270, net: 630, at: expect.any(String) },
    ]);

    const tooMuch = await api('POST', '/api/admin/payouts', {
      headers: asKey(),
      body: { expertId: expert.id, amount: 631 },
    });
    expect(errorCode(tooMuch)).toBe('insufficient_funds');
    const p = await api('POST', '/api/admin/payouts', {
      headers: asKey({ 'idempotency-key': 'week-10' }),
      body: { expertId: expert.id, amount: 600 },
    });
    expect(p.body).toMatchObject({ status: 'pending', amount: 600 });
    expect((await api('GET', '/api/experts/me/earnings', { headers })).body).toMatchObject({
      payoutsPending: 600,
      available: 30,
    });
    const paid = await api('POST', `/api/admin/payouts/${p.body.id}/complete`, {
      headers: asKey(),
    });
    expect(paid.body.status).toBe('paid');
    expect(
      errorCode(await api('POST', `/api/admin/payouts/${p.body.id}/fail`, { headers: asKey() })),
    ).toBe('already_resolved');
    expect((await api('GET', '/api/experts/me/earnings', { headers })).body).toMatchObject({
      paidOut: 600,
      payoutsPending: 0,
      available: 30,
    });

    const q = await api('POST', '/api/admin/payouts', {
      headers: asKey(),
      body: { expertId: expert.id, amount: 30 },
    });
    expect(
      (await api('POST', `/api/admin/payouts/${q.body.id}/fail`, { headers: asKey() })).body.status,
    ).toBe('failed');
    expect((await api('GET', '/api/experts/me/earnings', { headers })).body).toMatchObject({
      paidOut: 600,
      available: 30,
    });
  });
});
