import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { darkBlues, screenshot } from '../../test-support/browser.ts';
import { browserHarness, describeInBrowser } from '../../test-support/browser-suite.ts';
import {
  PASSWORD,
  buildClient,
  buildExpert,
  fund,
  operator,
} from '../../test-support/factories.ts';
import { putSchedule } from '../../server/src/booking/schedule.ts';

const HOSTILE_BIO =
  '<img src=x onerror="window.__xss=1"> <a href="javascript:window.__xss=2">my site</a>';

/** B2/B3 in the browser: the directory, an expert's page with open times on the visitor's clock, booking. */
describeInBrowser('booking in Chromium', () => {
  const h = browserHarness();

  async function signedInClient(width: number): Promise<Page> {
    const client = await buildClient(h.server.deps, { password: PASSWORD });
    await fund(h.server.deps, client.id, 20_000);
    return h.signIn(client, width);
  }

  it('a client finds the expert, picks a time and books it; the page shows the bio as text; 1280 px and 375 px', async () => {
    const expert = await buildExpert(h.server.deps, {
      name: 'Aria <b>Moon</b>',
      expert: {
        bio: HOSTILE_BIO,
        avatarUrl: null,
        categories: ['astrology'],
        rates: { chat: 100, video: 300 },
        flatPrices: { '30': 2500, '60': 4500 },
      },
    });
    await putSchedule(h.server.deps, operator, expert.id, {
      timeZone: 'America/New_York',
      weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
      overrides: [],
      bufferMinutes: 0,
      minNoticeMinutes: 0,
    });
    for (const width of [1280, 375]) {
      // A client signing in lands on the directory.
      const page = await signedInClient(width);
      await page.getByTestId('expert-card').filter({ hasText: 'Aria <b>Moon</b>' }).click();
      await page.getByTestId('slot').first().waitFor();
      expect(await page.getByTestId('expert-name').textContent()).toBe('Aria <b>Moon</b>');
      expect(await page.getByTestId('expert-bio').textContent()).toBe(HOSTILE_BIO);
      expect(await page.locator('main img, a[href^="javascript:"]').count()).toBe(0);
      await page
        .getByTestId('slot')
        .nth(width === 1280 ? 2 : 3)
        .click();
      await screenshot(page, `booking-${width}`);
      expect(await darkBlues(page)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        width,
      );

      await page.getByTestId('book').click();
      await page.getByTestId('booked').waitFor();
      const link = await page.getByTestId('booked-link').getAttribute('href');
      expect(link).toMatch(/^\/session\/hgj_/);
      expect(
        await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
      ).toBeUndefined();
    }
    const bookings = await h.server.deps.db
      .selectFrom('sessions')
      .select(['state', 'escrow_state'])
      .where('expert_id', '=', expert.id)
      .execute();
    expect(bookings).toEqual([
      { state: 'booked', escrow_state: 'held' },
      { state: 'booked', escrow_state: 'held' },
    ]);
  });
});
