import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scaled } from '../../../test-support/scale.ts';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildClient } from '../../../test-support/factories.ts';
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';

const SECRET = 'whsec_hourglass_test_secret';
// The official SDK signs the test payloads, exactly as Stripe signs deliveries.
const stripe = new Stripe('sk_test_unused');
const EVENTS = scaled(1000);

/** Issue 7, point 2: webhook deliveries verified over the raw body and applied exactly once. */
describeOnDatabases('stripe webhooks', (target) => {
  let server: TestServer;
  let seq = 0;
  const deliver = (
    payload: string,
    header = stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
  ) =>
    call(server.url, 'POST', '/api/webhooks/stripe', {
      raw: payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
    });
  const topUpEvent = (userId: string, amount: number) => {
    const n = seq++;
    return JSON.stringify(
      {
        id: `evt_${target.name}_${n}`,
        object: 'event',
        type: 'checkout.session.completed',
        created: Math.floor(Date.now() / 1000),
        data: {
          object: {
            id: `cs_${n}`,
            object: 'checkout.session',
            amount_total: amount,
            currency: 'usd',
            payment_status: 'paid',
            metadata: { purpose: 'top_up', userId, key: `k${n}` },
          },
        },
      },
      null,
      0,
    );
  };
  const wallet = async (id: string) =>
    Number(
      (
        await server.deps.db
          .selectFrom('ledger_accounts')
          .select('balance')
          .where('id', '=', `wallet:${id}`)
          .executeTakeFirst()
      )?.balance ?? 0,
    );
  const applied = async () =>
    Number(
      (
        await server.deps.db
          .selectFrom('provider_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    server = await startServer(target, { STRIPE_WEBHOOK_SECRET: SECRET });
  });
  afterAll(() => server?.close());

  it(`${EVENTS} events, each delivered 3 times, shuffled, some at once: each applied exactly once`, async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => buildClient(server.deps)));
    const expected = new Map<string, number>();
    const payloads = Array.from({ length: EVENTS }, (_, i) => {
      const c = clients[i % clients.length]!;
      const amount = 100 + ((i * 37) % 900);
      expected.set(c.id, (expected.get(c.id) ?? 0) + amount);
      return topUpEvent(c.id, amount);
    });
    const deliveries = payloads.flatMap((p) => [p, p, p]);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    const answers = { fresh: 0, duplicate: 0 };
    // Twenty at a time: copies of one event do meet in flight.
    for (let i = 0; i < deliveries.length; i += 20) {
      const batch = await Promise.all(deliveries.slice(i, i + 20).map((p) => deliver(p)));
      for (const r of batch) {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        answers[r.body.duplicate ? 'duplicate' : 'fresh']++;
      }
    }
    expect(answers).toEqual({ fresh: EVENTS, duplicate: 2 * EVENTS });
    for (const c of clients) expect(await wallet(c.id)).toBe(expected.get(c.id));
    const credits = await server.deps.db
      .selectFrom('ledger_transfers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', 'top_up')
      .executeTakeFirstOrThrow();
    expect(Number(credits.n)).toBe(EVENTS);
    expect(await ledgerViolations(server.deps.db, server.deps.config.SPLIT_EXPERT_PERCENT)).toEqual(
      [],
    );
  }, 300_000);

  it('refuses a tampered body, a wrong secret, a signature 301 s old, re-serialised JSON and no signature — applying nothing', async () => {
    const client = await buildClient(server.deps);
    const payload = topUpEvent(client.id, 500);
    const [before, balance] = [await applied(), await wallet(client.id)];
    const signed = stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
    expect(
      errorCode(
        await deliver(payload.replace('"amount_total":500', '"amount_total":50000'), signed),
      ),
    ).toBe('signature_invalid');
    expect(
      errorCode(
        await deliver(
          payload,
          stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_someone_else' }),
        ),
      ),
    ).toBe('signature_invalid');
    expect(
      errorCode(
        await deliver(
          payload,
          stripe.webhooks.generateTestHeaderString({
            payload,
            secret: SECRET,
            timestamp: Math.floor(Date.now() / 1000) - 301,
          }),
        ),
      ),
    ).toBe('signature_invalid');
    expect(errorCode(await deliver(JSON.stringify(JSON.parse(payload), null, 2), signed))).toBe(
      'signature_invalid',
    );
    expect(
      errorCode(
        await call(server.url, 'POST', '/api/webhooks/stripe', {
          raw: payload,
          headers: { 'content-type': 'application/json' },
        }),
      ),
    ).toBe('signature_invalid');
    expect([await applied(), await wallet(client.id)]).toEqual([before, balance]);
    // Within the tolerance it is accepted.
    const fresh = await deliver(
      payload,
      stripe.webhooks.generateTestHeaderString({
        payload,
        secret: SECRET,
        timestamp: Math.floor(Date.now() / 1000) - 290,
      }),
    );
    expect(fresh.status).toBe(200);
    expect(await wallet(client.id)).toBe(balance + 500);
  });

  it('a delivery whose handler fails answers 5xx, applies nothing, and the next delivery applies it', async () => {
    const client = await buildClient(server.deps);
    const payload = topUpEvent(client.id, 700);
    const before = await applied();
    // A checkout in another currency than the wallets' is refused by the handler (a 500 to Stripe).
    server.deps.config.CURRENCY = 'EUR';
    try {
      const failed = await deliver(payload);
      expect(failed.status).toBe(500);
      expect([await applied(), await wallet(client.id)]).toEqual([before, 0]);
    } finally {
      server.deps.config.CURRENCY = 'USD';
    }
    expect((await deliver(payload)).body).toEqual({ received: true, duplicate: false });
    expect(await wallet(client.id)).toBe(700);
  });

  it('events that are not ours are recorded and change nothing; a server without the secret has no endpoint', async () => {
    const payload = JSON.stringify({
      id: `evt_other_${target.name}`,
      object: 'event',
      type: 'customer.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'cus_1' } },
    });
    expect((await deliver(payload)).body).toEqual({ received: true, duplicate: false });
    expect((await deliver(payload)).body).toEqual({ received: true, duplicate: true });
    const bare = await startServer(target);
    try {
      const r = await call(bare.url, 'POST', '/api/webhooks/stripe', {
        raw: payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=x' },
      });
      expect(errorCode(r)).toBe('not_found');
    } finally {
      await bare.close();
    }
  });
});
