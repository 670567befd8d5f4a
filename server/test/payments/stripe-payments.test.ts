import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  buildLiveSession,
  buildSignedIn,
  fund,
  joinBoth,
  operator,
  buildSession,
} from '../../../test-support/factories.ts';
import { startFakeStripe, type FakeStripe } from '../../../test-support/fake-stripe.ts';
import { connectRoom, nextEvent } from '../../../test-support/realtime.ts';
import type { HourglassError } from '../../../sdk/src/errors.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';
import { putSchedule } from '../../src/booking/schedule.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { REFUND_ATTEMPTS } from '../../src/payments/refunds.ts';
import { reconcile } from '../../src/payments/reconcile.ts';
import { endSession } from '../../src/sessions/service.ts';
import { runSweeps } from '../../src/sweeps/sweeper.ts';

const SECRET = 'whsec_hourglass_payments_test';
const T0 = Date.parse('2026-03-02T12:00:00Z');

/**
 * Issue 7: payments through Stripe — the official SDK against a local fake of Stripe's API on
 * loopback, completions delivered to the real webhook endpoint, signed as Stripe signs them.
 */
describeOnDatabases('payments through stripe', (target) => {
  let server: TestServer;
  let fake: FakeStripe;
  let client: Awaited<ReturnType<typeof buildSignedIn>>;
  let expert: Awaited<ReturnType<typeof buildSignedIn>>;
  const balance = async (account: string) =>
    Number(
      (
        await server.deps.db
          .selectFrom('ledger_accounts')
          .select('balance')
          .where('id', '=', account)
          .executeTakeFirst()
      )?.balance ?? 0,
    );
  const topUp = (amount: number, idempotencyKey?: string) =>
    client.api.call('topUp', { body: { amount }, ...(idempotencyKey && { idempotencyKey }) });
  const book = (body: object, as = client.api) => as.call('createBooking', { body: body as never });
  /** The client books 30 minutes of chat at `startsAt`, to be paid by card. */
  const bookByCard = (startsAt: string) =>
    book({
      expertId: expert.user.id,
      type: 'chat',
      startsAt,
      durationMinutes: 30,
      payWith: 'checkout',
    });
  const cancelAsExpert = (id: string) =>
    expert.api.call('cancelSession', { params: { id }, body: {} });
  const extend = (id: string, joinToken: string, body: object, idempotencyKey?: string) =>
    clientFor(server.url, { joinToken }).call('extendSession', {
      params: { id },
      body: body as never,
      ...(idempotencyKey && { idempotencyKey }),
    });
  const checkoutOf = (url: string) => url.split('/').at(-1)!;
  const session = (id: string) =>
    server.deps.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  beforeAll(async () => {
    fake = await startFakeStripe({ webhookUrl: () => server.url, webhookSecret: SECRET });
    server = await startServer(target, {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_hourglass',
      STRIPE_API_URL: fake.url,
      STRIPE_WEBHOOK_SECRET: SECRET,
    });
    client = await buildSignedIn(server, 'client');
    expert = await buildSignedIn(server, 'expert');
    await putSchedule(server.deps, operator, expert.user.id, {
      timeZone: 'UTC',
      weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })),
      overrides: [],
      bufferMinutes: 0,
      minNoticeMinutes: 0,
    });
  });
  afterEach(async () => {
    fake.dropResponses(0);
    fake.refuseRefunds(false);
    server.clock.set(new Date(T0));
    expect(await ledgerViolations(server.deps.db, server.deps.config.SPLIT_EXPERT_PERCENT)).toEqual(
      [],
    );
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('a top-up goes through Checkout and is credited by the webhook, once', async () => {
    const wallet = `wallet:${client.user.id}`;
    const before = await balance(wallet);
    const r = await topUp(2500, 'topup-a');
    expect(r).toMatchObject({
      status: 'pending',
      amount: 2500,
      checkoutUrl: expect.stringMatching(/^https:\/\/checkout\.fake\/pay\/cs_test_/),
    });
    const checkout = fake.checkouts.get(checkoutOf(r.checkoutUrl!))!;
    expect(checkout).toMatchObject({
      amount_total: 2500,
      currency: 'usd',
      metadata: { purpose: 'top_up', userId: client.user.id, key: 'topup-a' },
    });
    expect(await balance(wallet)).toBe(before); // not paid yet

    const paid = await fake.complete(checkout.id);
    expect(paid.status).toBe(200);
    expect(await balance(wallet)).toBe(before + 2500);
    // Stripe delivers again: nothing more.
    expect(await fake.deliver(paid.payload)).toBe(200);
    expect(await balance(wallet)).toBe(before + 2500);
    // The client repeats its request: the same answer, no second checkout.
    const checkouts = fake.checkouts.size;
    const again = await topUp(2500, 'topup-a');
    expect([again.status, fake.checkouts.size]).toEqual(['succeeded', checkouts]);
    expect((await refusal(topUp(999, 'topup-a'))).code).toBe('idempotency_conflict');
  });

  it('an Idempotency-Key reused with another amount is idempotency_conflict, before Stripe is called and when Stripe refuses it; no provider text reaches the client', async () => {
    const first = await topUp(1500, 'topup-conflict');
    const calls = fake.keys.length;
    // The checkout is open, not paid: the conflict is found from it, and Stripe is not asked.
    const again = await refusal(topUp(9900, 'topup-conflict'));
    expect([again.status, again.code]).toEqual([409, 'idempotency_conflict']);
    expect(fake.keys.length).toBe(calls);
    // The same key with the same amount is the same checkout.
    expect((await topUp(1500, 'topup-conflict')).checkoutUrl).toBe(first.checkoutUrl);
    // Two first requests racing each other both reach Stripe: the one Stripe refuses for its
    // key's other parameters is answered the same way, and its text stays in our log.
    const answers = await Promise.allSettled([
      topUp(1200, 'topup-race'),
      topUp(3400, 'topup-race'),
    ]);
    const refused = answers.flatMap((a) =>
      a.status === 'rejected' ? [a.reason as HourglassError] : [],
    );
    expect([answers.length - refused.length, refused.map((r) => [r.status, r.code])]).toEqual([
      1,
      [[409, 'idempotency_conflict']],
    ]);
    for (const a of [again, ...refused]) {
      const text = JSON.stringify({ message: a.message, details: a.details });
      for (const leak of [
        client.user.id,
        'topup-race',
        'topup-conflict',
        'Stripe',
        'idempotent requests',
      ])
        expect(text).not.toContain(leak);
    }
    // A key of the bookings' own space is not a top-up's.
    expect((await refusal(topUp(1500, 'booking:abc'))).code).toBe('validation_failed');
  });

  it('Stripe commits a checkout and the answer is lost: the retry creates no second one', async () => {
    const made = fake.checkouts.size;
    // One lost answer: the SDK asks again with the same key and gets the first checkout.
    fake.dropResponses(1);
    await topUp(1000, 'topup-dropped');
    expect(fake.checkouts.size).toBe(made + 1);
    expect(fake.keys.filter((k) => k === `${client.user.id}:topup-dropped`)).toHaveLength(2);

    // Every answer lost: our request fails; the client's retry (same Idempotency-Key) finds the one checkout.
    fake.dropResponses(100);
    const lost = await refusal(topUp(1000, 'topup-lost'));
    expect(lost.status).toBeGreaterThanOrEqual(500);
    expect(fake.checkouts.size).toBe(made + 2);
    fake.dropResponses(0);
    const retried = await topUp(1000, 'topup-lost');
    expect(fake.checkouts.size).toBe(made + 2);
    const wallet = `wallet:${client.user.id}`;
    const before = await balance(wallet);
    await fake.complete(checkoutOf(retried.checkoutUrl!));
    expect(await balance(wallet)).toBe(before + 1000);
  });

  it('a booking paid by card holds its time, is paid into escrow by the webhook, and a cancellation refunds the card', async () => {
    const startsAt = new Date(T0 + 48 * 3_600_000).toISOString();
    const r = await bookByCard(startsAt);
    const id = r.session.id;
    expect(r.checkoutUrl).toMatch(/cs_test_/);
    expect((await session(id)).payment_due_at).toEqual(new Date(T0 + 30 * 60_000));
    expect(await balance(`escrow:${id}`)).toBe(0);
    // The time is held meanwhile: nobody else can book it.
    const other = await buildSignedIn(server, 'client');
    await fund(server.deps, other.user.id, 10_000);
    expect(
      (
        await refusal(
          book(
            { expertId: expert.user.id, type: 'chat', startsAt, durationMinutes: 30 },
            other.api,
          ),
        )
      ).code,
    ).toBe('slot_taken');

    const paid = await fake.complete(checkoutOf(r.checkoutUrl!));
    expect(paid.status).toBe(200);
    expect(await balance(`escrow:${id}`)).toBe(2500);
    expect(await session(id)).toMatchObject({
      payment_due_at: null,
      escrow_state: 'held',
      state: 'booked',
    });
    await fake.deliver(paid.payload);
    expect(await balance(`escrow:${id}`)).toBe(2500);

    // The expert cancels: everything back — to the card it came from, through the refund sweep.
    const wallet = await balance(`wallet:${client.user.id}`);
    expect((await cancelAsExpert(id)).state).toBe('cancelled');
    expect(await balance(`wallet:${client.user.id}`)).toBe(wallet); // passed through, held for the card
    const refundsBefore = fake.refunds.length;
    await runSweeps(server.deps);
    expect(fake.refunds.slice(refundsBefore)).toEqual([
      expect.objectContaining({
        payment_intent: fake.checkouts.get(checkoutOf(r.checkoutUrl!))!.payment_intent,
        amount: 2500,
        idempotencyKey: `refund:${client.user.id}:booking:${id}`,
      }),
    ]);
    const refund = await server.deps.db
      .selectFrom('provider_refunds')
      .selectAll()
      .where('session_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(refund).toMatchObject({ state: 'succeeded', amount: expect.anything() });
    expect(Number(refund.amount)).toBe(2500);
    await runSweeps(server.deps);
    expect(fake.refunds.length).toBe(refundsBefore + 1);
  });

  it('an unpaid booking gives its time back when its hold lapses; a payment after that is refunded', async () => {
    const startsAt = new Date(T0 + 72 * 3_600_000).toISOString();
    const r = await bookByCard(startsAt);
    const id = r.session.id;
    server.clock.set(new Date(T0 + 31 * 60_000));
    await runSweeps(server.deps);
    expect(await session(id)).toMatchObject({ state: 'cancelled', payment_due_at: null });
    const other = await buildSignedIn(server, 'client');
    await fund(server.deps, other.user.id, 10_000);
    const rebooked = await book(
      { expertId: expert.user.id, type: 'chat', startsAt, durationMinutes: 30 },
      other.api,
    );
    expect(rebooked.session.state).toBe('booked');

    const wallet = await balance(`wallet:${client.user.id}`);
    const refunds = fake.refunds.length;
    expect((await fake.complete(checkoutOf(r.checkoutUrl!))).status).toBe(200);
    expect(await balance(`escrow:${id}`)).toBe(0);
    await runSweeps(server.deps);
    expect(fake.refunds.slice(refunds)).toEqual([expect.objectContaining({ amount: 2500 })]);
    expect(await balance(`wallet:${client.user.id}`)).toBe(wallet);
  });

  it('a refund Stripe keeps refusing is given up after its attempts, and the money stays in the wallet', async () => {
    const startsAt = new Date(T0 + 96 * 3_600_000).toISOString();
    const r = await bookByCard(startsAt);
    await fake.complete(checkoutOf(r.checkoutUrl!));
    const wallet = await balance(`wallet:${client.user.id}`);
    fake.refuseRefunds(true);
    expect((await cancelAsExpert(r.session.id)).state).toBe('cancelled');
    for (let attempt = 1; attempt <= REFUND_ATTEMPTS; attempt++) {
      await runSweeps(server.deps);
      server.clock.advance(7 * 3_600_000);
    }
    const refund = await server.deps.db
      .selectFrom('provider_refunds')
      .selectAll()
      .where('session_id', '=', r.session.id)
      .executeTakeFirstOrThrow();
    expect(refund).toMatchObject({
      state: 'failed',
      attempts: REFUND_ATTEMPTS,
      last_error: expect.stringContaining('cannot be refunded'),
    });
    expect(await balance(`wallet:${client.user.id}`)).toBe(wallet + 2500);
  });

  it('the client buys 5 minutes by card in a live session: both rooms see the new deadline within 1 s; a replay changes nothing', async () => {
    const s = await buildSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0),
      credit: 5000,
    });
    await joinBoth(server.deps, s);
    const [c, e] = await Promise.all([
      connectRoom(server.url, s.links.client.token),
      connectRoom(server.url, s.links.expert.token),
    ]);
    try {
      const deadline = (await session(s.session.id)).ends_at!;
      const r = await extend(
        s.session.id,
        s.links.client.token,
        { minutes: 5, payWith: 'checkout' },
        'more-1',
      );
      expect(r).toMatchObject({
        extension: { minutes: 5, amount: 500, state: 'awaiting_payment' },
        endsAt: deadline.toISOString(),
      });
      const moved = new Date(deadline.getTime() + 5 * 60_000).toISOString();
      const seen = [c.socket, e.socket].map((socket) =>
        nextEvent(socket, 'session:extended', (p) => p.endsAt === moved, 1000),
      );
      const paid = await fake.complete(checkoutOf(r.checkoutUrl!));
      expect(paid.status).toBe(200);
      await Promise.all(seen);
      expect((await session(s.session.id)).ends_at).toEqual(new Date(moved));
      expect(await balance(`escrow:${s.session.id}`)).toBe(2500 + 500);

      // The webhook again: no second move, no second payment, no event.
      const again = [c.socket, e.socket].map((socket) =>
        nextEvent(socket, 'session:extended', () => true, 500).then(
          () => 'extended',
          () => 'quiet',
        ),
      );
      expect(await fake.deliver(paid.payload)).toBe(200);
      expect(await Promise.all(again)).toEqual(['quiet', 'quiet']);
      expect((await session(s.session.id)).ends_at).toEqual(new Date(moved));
      expect(await balance(`escrow:${s.session.id}`)).toBe(3000);
    } finally {
      c.socket.close();
      e.socket.close();
    }
  });

  it('an extension paid after the session ended is refunded automatically', async () => {
    const s = await buildLiveSession(server.deps, {
      kind: 'scheduled',
      scheduledAt: new Date(T0),
      credit: 5000,
    });
    const r = await extend(s.session.id, s.links.client.token, {
      minutes: 10,
      payWith: 'checkout',
    });
    await endSession(server.deps, operator, s.session.id, undefined);
    const refunds = fake.refunds.length;
    expect((await fake.complete(checkoutOf(r.checkoutUrl!))).status).toBe(200);
    const ext = await server.deps.db
      .selectFrom('session_extensions')
      .selectAll()
      .where('id', '=', r.extension.id)
      .executeTakeFirstOrThrow();
    expect(ext.state).toBe('refunded');
    expect(await balance(`escrow:${s.session.id}`)).toBe(2500);
    await runSweeps(server.deps);
    expect(fake.refunds.slice(refunds)).toEqual([expect.objectContaining({ amount: 1000 })]);
  });

  it('reconciliation applies the events the webhook missed, and only those', async () => {
    const wallet = `wallet:${client.user.id}`;
    const r = await topUp(4200, 'topup-missed');
    const before = await balance(wallet);
    await fake.complete(checkoutOf(r.checkoutUrl!), { deliver: false }); // the delivery never came
    expect(await balance(wallet)).toBe(before);
    const first = await reconcile(server.deps);
    expect(first).toEqual({ seen: fake.events.length, applied: 1 });
    expect(await balance(wallet)).toBe(before + 4200);
    expect(await reconcile(server.deps)).toEqual({ seen: fake.events.length, applied: 0 });
    expect(await balance(wallet)).toBe(before + 4200);
  });
});
