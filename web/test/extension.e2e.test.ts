import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { browserHarness, describeInBrowser } from '../../test-support/browser-suite.ts';
import { startFakeStripe, type FakeStripe } from '../../test-support/fake-stripe.ts';

const SECRET = 'whsec_hourglass_e2e';

/**
 * Issue 7's end-to-end check: in a live session the client buys 5 more minutes — from the
 * wallet, and by card through Stripe (the local fake); both screens show the new deadline
 * within 1 s, and a replayed webhook changes nothing.
 */
describeInBrowser('paid extensions in Chromium', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe({ webhookUrl: () => h.server.url, webhookSecret: SECRET });
  });
  afterAll(() => fake?.close());
  const h = browserHarness(() => ({
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_e2e',
    STRIPE_API_URL: fake.url,
    STRIPE_WEBHOOK_SECRET: SECRET,
  }));

  /** The deadline a screen counts down to (its remaining time is this minus the server's now). */
  const deadline = (page: Page) =>
    page
      .getByTestId('remaining')
      .getAttribute('data-deadline')
      .then((d) => Date.parse(d!));
  const remaining = (page: Page) =>
    page.getByTestId('remaining').getAttribute('data-ms').then(Number);

  const liveChat = (credit: number) => h.joinBoth('chat', { credit, widths: [1280, 375] });

  it('from the wallet: both screens show 5 more minutes within 1 s of the click', async () => {
    const { client, expert } = await liveChat(10_000);
    const before = await deadline(client);
    const left = await remaining(client);
    expect(await expert.getByTestId('extend').count()).toBe(0); // only the client buys time
    const clicked = Date.now();
    await client.getByTestId('extend-5').click();
    for (const page of [client, expert]) {
      await expect
        .poll(() => deadline(page), { timeout: 1000, interval: 50 })
        .toBe(before + 5 * 60_000);
    }
    expect(Date.now() - clicked).toBeLessThan(1000);
    // The countdown itself went up by the 5 minutes (less the moments this took).
    expect(await remaining(expert)).toBeGreaterThan(left + 5 * 60_000 - 3000);
  });

  it('by card: the deadline moves when Stripe says it is paid, on both screens; the webhook again changes nothing', async () => {
    const { s, client, expert } = await liveChat(2500 + 100);
    const before = await deadline(client);
    await client.getByTestId('extend-5').click();
    await client.getByTestId('extend-card-5').click();
    const url = await client.getByTestId('checkout-link').getAttribute('href');
    expect(url).toMatch(/^https:\/\/checkout\.fake\/pay\/cs_test_/);
    expect(await deadline(expert)).toBe(before);

    const paid = await fake.complete(url!.split('/').at(-1)!);
    expect(paid.status).toBe(200);
    const delivered = Date.now();
    for (const page of [client, expert])
      await expect
        .poll(() => deadline(page), { timeout: 1000, interval: 50 })
        .toBe(before + 5 * 60_000);
    expect(Date.now() - delivered).toBeLessThan(1000);

    expect(await fake.deliver(paid.payload)).toBe(200);
    const row = await h.server.deps.db
      .selectFrom('sessions')
      .select(['started_at', 'ends_at'])
      .where('id', '=', s.session.id)
      .executeTakeFirstOrThrow();
    expect(row.ends_at!.getTime() - row.started_at!.getTime()).toBe(35 * 60_000);
    for (const page of [client, expert]) expect(await deadline(page)).toBe(before + 5 * 60_000);
    const extensions = await h.server.deps.db
      .selectFrom('session_extensions')
      .select(['state', 'amount'])
      .where('session_id', '=', s.session.id)
      .execute();
    expect(extensions).toEqual([{ state: 'applied', amount: expect.anything() }]);
  });
});
