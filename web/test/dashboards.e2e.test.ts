import { expect, it } from 'vitest';
import { browserHarness, describeInBrowser, shootBoth } from '../../test-support/browser-suite.ts';
import {
  PASSWORD,
  buildClient,
  buildExpert,
  buildLiveSession,
  fund,
  operator,
} from '../../test-support/factories.ts';
import { balanceOf } from '../../server/src/ledger/ledger.ts';
import { accounts } from '../../server/src/ledger/accounts.ts';
import { getSchedule } from '../../server/src/booking/schedule.ts';
import { cancelSession, createSession, endSession } from '../../server/src/sessions/service.ts';
import { answerRequest, requestSession } from '../../server/src/booking/requests.ts';
import { billingTick } from '../../server/src/sweeps/billing.ts';

/**
 * Issue 6's pages around the room, in Chromium: a client's sessions (countdown, Start in the
 * start window), the expert's dashboard (live requests, upcoming, earnings chart, availability),
 * the wallet, and the low-balance top-up that does not leave the room.
 */
describeInBrowser('sessions, dashboard and wallet in Chromium', () => {
  const h = browserHarness();
  const deps = () => h.server.deps;
  const serverNow = () => deps().clock.now(deps().db);
  const after = async (ms: number) => new Date((await serverNow()).getTime() + ms).toISOString();

  it("a client's sessions count down on the server's clock; Start is enabled when the start window opens and leads into the room", async () => {
    const client = await buildClient(deps(), { password: PASSWORD });
    await fund(deps(), client.id, 50_000);
    const expert = await buildExpert(deps(), { name: 'Orion <i>Star</i>' });
    const book = async (inMs: number) =>
      createSession(deps(), operator, {
        kind: 'scheduled',
        type: 'chat',
        clientId: client.id,
        expertId: expert.id,
        scheduledAt: await after(inMs),
        durationMinutes: 30,
      });
    // The start window opens 5 min before the start: for `soon`, 3 s from now.
    const soon = await book(5 * 60_000 + 3000);
    await book(3 * 3_600_000);
    const gone = await book(2 * 86_400_000);
    await cancelSession(deps(), operator, gone.session.id);

    const page = await h.signIn(client);
    await page.getByTestId('nav-sessions').click();
    const rows = page.getByTestId('upcoming-session');
    await expect.poll(() => rows.count()).toBe(2);
    const loaded = Date.now();
    expect(await rows.nth(0).getAttribute('data-id')).toBe(soon.session.id); // the earliest first
    const later = rows.nth(1);
    expect(await later.getByTestId('countdown').textContent()).toMatch(
      /^Starts in (2 h 59 min|3 h 00 min)$/,
    );
    expect(await later.getByTestId('start').isDisabled()).toBe(true);
    expect(await later.getByTestId('counterpart-name').textContent()).toBe('Orion <i>Star</i>');
    expect(await page.getByTestId('past-session').count()).toBe(1);

    const first = rows.nth(0);
    const countdown = await first.getByTestId('countdown').textContent();
    expect(countdown).toMatch(/^Starts in 05:0[0-3]$/);
    expect(await first.getByTestId('start').isDisabled()).toBe(true);
    await expect
      .poll(() => first.getByTestId('start').isEnabled(), { timeout: 8000, interval: 100 })
      .toBe(true);
    const enabledAfter = Date.now() - loaded;
    expect(enabledAfter).toBeGreaterThan(1500); // not before the window opened (3 s after the snapshot)
    expect(enabledAfter).toBeLessThan(5000);
    expect(await first.getByTestId('countdown').textContent()).not.toBe(countdown); // it runs
    await shootBoth(page, 'sessions');

    h.server.clock.advance(5000); // the server's clock catches up with the page's
    await first.getByTestId('start').click();
    await page.getByTestId('lobby').waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/session\/hgj_/);
    expect(await page.getByTestId('join').isEnabled()).toBe(true);
  });

  it('an answer that never reached the server leaves the request to answer again; a refused one removes it', async () => {
    const expert = await buildExpert(deps(), { password: PASSWORD });
    const page = await h.signIn(expert);
    await page.getByTestId('presence-toggle').click();
    await expect.poll(() => page.getByTestId('requests').getAttribute('data-live')).toBe('true');
    const asker = await buildClient(deps(), { password: PASSWORD });
    await fund(deps(), asker.id, 10_000);
    const asked = await requestSession(
      deps(),
      { kind: 'user', userId: asker.id, role: 'client', authSessionHash: '' },
      { expertId: expert.id, type: 'chat' },
    );
    const row = page.locator(`[data-testid=request][data-id="${asked.session.id}"]`);
    await row.waitFor();

    await page.context().setOffline(true);
    await row.getByTestId('accept').click();
    await page.getByTestId('requests-error').waitFor();
    expect(await row.count()).toBe(1);
    expect(
      (
        await deps()
          .db.selectFrom('sessions')
          .select('state')
          .where('id', '=', asked.session.id)
          .executeTakeFirstOrThrow()
      ).state,
    ).toBe('requested');
    await page.context().setOffline(false);
    // Declined meanwhile from another tab: Accept is refused (409), and the row goes.
    await answerRequest(
      deps(),
      { kind: 'user', userId: expert.id, role: 'expert', authSessionHash: '' },
      asked.session.id,
      'decline',
    );
    await row.getByTestId('accept').click();
    await expect.poll(() => row.count()).toBe(0);
    expect(await page.getByTestId('requests-error').textContent()).toContain('cannot be done');
  });

  it('C2 in two browsers: the expert goes online, the client asks; the request appears within 1 s with its countdown; decline, then accept takes both into the room', async () => {
    const expert = await buildExpert(deps(), { password: PASSWORD, name: 'Vega' });
    const asker = await buildClient(deps(), {
      password: PASSWORD,
      name: 'Lyra <img src=x onerror="window.__xss=1">',
    });
    await fund(deps(), asker.id, 10_000);
    const page = await h.signIn(expert); // an expert lands on the dashboard
    await page.getByTestId('dashboard').waitFor();
    await page.getByTestId('presence-toggle').click();
    await expect
      .poll(() => page.getByTestId('presence-toggle').getAttribute('data-presence'))
      .toBe('online');
    await expect.poll(() => page.getByTestId('requests').getAttribute('data-live')).toBe('true');

    const client = await h.signIn(asker);
    await client.goto(`/experts/${expert.id}`);
    await client.getByTestId('talk-now-ask').click();
    const asked = Date.now();
    await client.getByTestId('talk-waiting').waitFor();
    const row = page.getByTestId('request');
    await row.first().waitFor({ timeout: 1000 });
    expect(Date.now() - asked).toBeLessThan(1000);
    expect(await row.first().locator('.name').textContent()).toBe(
      'Lyra <img src=x onerror="window.__xss=1">',
    );
    const countdown = row.first().getByTestId('request-countdown');
    const shown = await countdown.textContent();
    expect(shown).toMatch(/^(01:00|00:5\d) to answer$/); // REQUEST_TTL_S is 60
    await expect.poll(() => countdown.textContent(), { timeout: 3000 }).not.toBe(shown);

    const first = await row.first().getAttribute('data-id');
    await row.first().getByTestId('decline').click();
    await expect.poll(() => row.count()).toBe(0);
    await expect
      .poll(() => client.getByTestId('talk-message').textContent())
      .toBe('Vega cannot take it now.');
    expect(
      (
        await deps()
          .db.selectFrom('sessions')
          .select('state')
          .where('id', '=', first!)
          .executeTakeFirstOrThrow()
      ).state,
    ).toBe('declined');

    await client.getByTestId('talk-now-ask').click();
    await row.first().waitFor({ timeout: 1000 });
    const second = await row.first().getAttribute('data-id');
    await shootBoth(page, 'dashboard-request');
    await row.first().getByTestId('accept').click();
    for (const p of [page, client]) {
      await p.getByTestId('lobby').waitFor();
      expect(await p.getByTestId('join').isEnabled()).toBe(true);
      expect(
        await p.evaluate(() => (window as unknown as { __xss?: number }).__xss),
      ).toBeUndefined();
    }
    expect(
      (
        await deps()
          .db.selectFrom('sessions')
          .select('state')
          .where('id', '=', second!)
          .executeTakeFirstOrThrow()
      ).state,
    ).toBe('accepted');
  });

  it('the dashboard shows upcoming sessions, earnings with a chart by day, and saves availability (refusing overlaps)', async () => {
    const expert = await buildExpert(deps(), { password: PASSWORD, name: 'Sirius' });
    // Earnings: a chat minute three days ago (net 70) and a video minute today (net 210).
    const today = await serverNow();
    h.server.clock.set(new Date(today.getTime() - 3 * 86_400_000));
    const old = await buildLiveSession(deps(), { expert, kind: 'on_demand', type: 'chat' });
    await endSession(deps(), operator, old.session.id, undefined);
    h.server.clock.set(today);
    const recent = await buildLiveSession(deps(), { expert, kind: 'on_demand', type: 'video' });
    await endSession(deps(), operator, recent.session.id, undefined);
    const nova = await buildClient(deps(), { name: 'Nova' });
    await fund(deps(), nova.id, 10_000);
    await createSession(deps(), operator, {
      kind: 'scheduled',
      type: 'voice',
      clientId: nova.id,
      expertId: expert.id,
      scheduledAt: await after(86_400_000),
      durationMinutes: 30,
    });

    const page = await h.signIn(expert);
    await page.getByTestId('earnings-chart').waitFor();
    expect(
      await page.getByTestId('upcoming-session').getByTestId('counterpart-name').allTextContents(),
    ).toEqual(['Nova']);
    expect(await page.getByTestId('earnings-net').getAttribute('data-minor')).toBe('280');
    const bars = await page
      .getByTestId('bar')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-net'))));
    expect(bars).toHaveLength(30);
    expect(bars.filter((n) => n > 0)).toEqual([70, 210]);
    expect(bars.at(-1)).toBe(210); // today is the last bar
    const tall = await page
      .getByTestId('bar')
      .evaluateAll((els) => Math.max(...els.map((e) => e.getBoundingClientRect().height)));
    expect(tall).toBeGreaterThan(50);

    // Availability: Tuesday 10:00–12:00, saved.
    const tuesday = page.locator('[data-testid=weekday][data-weekday="2"]');
    await tuesday.getByTestId('add-hours').click();
    await tuesday.getByTestId('from').fill('10:00');
    await tuesday.getByTestId('to').fill('12:00');
    await page.getByTestId('save-availability').click();
    await expect.poll(() => page.getByTestId('availability-status').textContent()).toBe('Saved.');
    const tuesdays = async () =>
      (await getSchedule(deps(), operator, expert.id)).weekly.filter((w) => w.weekday === 2);
    expect(await tuesdays()).toEqual([{ weekday: 2, start: '10:00', end: '12:00' }]);
    // An overlapping second range is refused with the reason, and nothing changes.
    await tuesday.getByTestId('add-hours').click();
    await tuesday.getByTestId('from').nth(1).fill('11:00');
    await tuesday.getByTestId('to').nth(1).fill('13:00');
    await page.getByTestId('save-availability').click();
    await expect
      .poll(() => page.getByTestId('availability-status').textContent())
      .toMatch(/overlap/);
    expect(await page.getByTestId('availability-status').getAttribute('class')).toBe('error');
    expect(await tuesdays()).toEqual([{ weekday: 2, start: '10:00', end: '12:00' }]);
    await shootBoth(page, 'dashboard');
  });

  it('the wallet shows the balance and history; a top-up adds to both, once', async () => {
    const client = await buildClient(deps(), { password: PASSWORD });
    await fund(deps(), client.id, 5000);
    const expert = await buildExpert(deps());
    await createSession(deps(), operator, {
      kind: 'scheduled',
      type: 'chat',
      clientId: client.id,
      expertId: expert.id,
      scheduledAt: await after(86_400_000),
      durationMinutes: 30,
    });
    const page = await h.signIn(client);
    await page.getByTestId('nav-wallet').click();
    const balance = () => page.getByTestId('balance').getAttribute('data-minor').then(Number);
    await expect.poll(balance).toBe(2500); // 5,000 credited, 2,500 held for the booking
    expect(
      await page
        .getByTestId('history-row')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))),
    ).toEqual(['escrow_hold', 'admin_credit']);

    await page.getByTestId('top-up-2500').click();
    await expect.poll(balance).toBe(5000);
    expect(await page.getByTestId('top-up-message').textContent()).toBe('Added $25.00.');
    await page.getByTestId('top-up-amount').fill('12.34');
    await page.getByTestId('top-up-custom').click();
    await expect.poll(balance).toBe(6234);
    expect(await page.getByTestId('history-row').first().getAttribute('data-kind')).toBe('top_up');
    expect(await page.getByTestId('history-row').count()).toBe(4);
    expect(await balanceOf(deps().db, accounts.wallet(client.id))).toBe(6234);
    await shootBoth(page, 'wallet');
  });

  it('low balance in the room: the client tops up from the banner without leaving, and the session goes on', async () => {
    // On demand, chat at 100 a minute, 300 in the wallet: minute 1 is charged as it goes live.
    const { s, client, expert } = await h.joinBoth('chat', { kind: 'on_demand', credit: 300 });
    const roomUrl = client.url();
    h.server.clock.advance(60_000);
    await billingTick(deps()); // minute 2: 100 left, fewer than 2 minutes
    await client.getByTestId('low-balance').waitFor({ timeout: 2000 });
    expect(await expert.getByTestId('low-balance').count()).toBe(0); // the expert is not asked to pay
    await shootBoth(client, 'room-low-balance');

    await client.getByTestId('low-balance').getByTestId('top-up-1000').click();
    await expect.poll(() => client.getByTestId('low-balance').count()).toBe(0);
    expect(client.url()).toBe(roomUrl);
    expect(await client.getByTestId('room').isVisible()).toBe(true);
    expect(await balanceOf(deps().db, accounts.wallet(s.client.id))).toBe(1100);

    const before = await client.getByTestId('remaining').getAttribute('data-deadline');
    h.server.clock.advance(60_000);
    await billingTick(deps()); // minute 3 is paid: the session goes on
    await expect
      .poll(() => client.getByTestId('remaining').getAttribute('data-deadline'))
      .not.toBe(before);
    expect(
      (
        await deps()
          .db.selectFrom('sessions')
          .select('state')
          .where('id', '=', s.session.id)
          .executeTakeFirstOrThrow()
      ).state,
    ).toBe('live');
  });
});
