import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { browserHarness, describeInBrowser, shootBoth } from '../../test-support/browser-suite.ts';
import {
  PASSWORD,
  buildAdmin,
  buildClient,
  buildExpert,
  buildLiveSession,
  buildSession,
  operator,
} from '../../test-support/factories.ts';
import { PNG } from '../../test-support/files.ts';
import { openDispute } from '../../server/src/billing/escrow-service.ts';
import { endSession } from '../../server/src/sessions/service.ts';

const HOSTILE = '<img src=x onerror="window.__xss=1">';
const xss = (page: Page) => page.evaluate(() => (window as { __xss?: unknown }).__xss);

/** Issue 8's web side, in Chromium: files in the room, the notification bell, the operator's page. */
describeInBrowser('files, notifications and operations in Chromium', () => {
  const h = browserHarness();
  const deps = () => h.server.deps;

  it('a file shared in the room appears on the other side at once and opens through a signed link; a hostile name is text; a disallowed type is refused', async () => {
    const { s, client, expert } = await h.joinBoth('chat');
    const name = `${HOSTILE}.png`;
    await client
      .getByTestId('file-input')
      .setInputFiles({ name, mimeType: 'image/png', buffer: PNG });
    await client.getByTestId('file').first().waitFor();
    // Live on the expert's side: no reload.
    const theirs = expert.getByTestId('file');
    await theirs.first().waitFor({ timeout: 2000 });
    expect(await theirs.getByTestId('file-open').textContent()).toBe(name);
    expect(await theirs.textContent()).toContain('from the client');

    // The link opens in a new tab: its request is the context's.
    const fetched = expert
      .context()
      .waitForEvent('request', (r) => r.url().includes('/api/files/'));
    await theirs.getByTestId('file-open').click();
    const url = (await fetched).url();
    expect(url).toMatch(
      new RegExp(
        `/api/files/${await theirs.getAttribute('data-id')}\\?user=${s.expert.id}&expires=\\d+&sig=`,
      ),
    );
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(PNG)).toBe(true);

    await client.getByTestId('file-input').setInputFiles({
      name: 'tool.png',
      mimeType: 'image/png',
      buffer: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
    });
    await client.getByTestId('file-error').waitFor();
    expect(await client.getByTestId('file-error').textContent()).toContain('cannot be shared');
    expect(await client.getByTestId('file').count()).toBe(1);
    expect([await xss(client), await xss(expert)]).toEqual([undefined, undefined]);

    // A reload, and after the end: the file is still listed.
    await endSession(deps(), operator, s.session.id, undefined);
    await expert.reload();
    await expert.getByTestId('file').first().waitFor();
    await shootBoth(client, 'room-files');
  });

  it('the bell counts a notification the moment it is made (a booking), lists it as text and marks it read', async () => {
    const expert = await buildExpert(deps(), { password: PASSWORD });
    const page = await h.signIn(expert);
    expect(await page.getByTestId('unread').count()).toBe(0);
    const client = await buildClient(deps(), { name: `Mallory ${HOSTILE}` });
    const booked = Date.now();
    await buildSession(deps(), { kind: 'scheduled', client, expert });
    await page.getByTestId('unread').waitFor({ timeout: 1000 });
    console.log(`[bell] booking → unread count shown in ${Date.now() - booked} ms`);
    expect(await page.getByTestId('unread').textContent()).toBe('1');
    await page.getByTestId('bell').click();
    const item = page.getByTestId('notification').first();
    expect(await item.getAttribute('data-kind')).toBe('booking_new');
    expect(await item.textContent()).toContain(`Mallory ${HOSTILE} booked a chat session`);
    await shootBoth(page, 'notifications');
    // The open list is wholly on screen at phone width too.
    await page.setViewportSize({ width: 375, height: 900 });
    const box = (await page.getByTestId('notifications').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(375);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByTestId('read-all').click();
    await expect.poll(() => page.getByTestId('unread').count()).toBe(0);
    expect(
      (
        await deps()
          .db.selectFrom('notifications')
          .select('read_at')
          .where('user_id', '=', expert.id)
          .execute()
      ).every((n) => n.read_at !== null),
    ).toBe(true);
    expect(await xss(page)).toBeUndefined();
  });

  it('operations: the live session and its audit trail, a dispute read as text and refunded, the refund listed', async () => {
    const admin = await buildAdmin(deps(), PASSWORD);
    const live = await buildLiveSession(deps(), { type: 'video' });
    const done = await buildLiveSession(deps(), {
      kind: 'scheduled',
      scheduledAt: await deps().clock.now(deps().db),
    });
    await endSession(deps(), operator, done.session.id, undefined);
    await openDispute(
      deps(),
      { kind: 'participant', sessionId: done.session.id, userId: done.client.id, role: 'client' },
      done.session.id,
      `Left early ${HOSTILE}`,
    );

    const page = await h.signIn(admin);
    await page.getByTestId('admin-page').waitFor();
    const row = page.locator(`[data-testid=live-row][data-session="${live.session.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(`${live.client.name} with ${live.expert.name}`);
    await row.getByTestId('audit-toggle').click();
    await page.getByTestId('audit-trail').waitFor();
    const kinds = await page
      .getByTestId('audit-trail')
      .locator('li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(expect.arrayContaining(['created', 'both_joined', 'started', 'charged']));

    const disputed = page.locator(`[data-testid=escrow-row][data-session="${done.session.id}"]`);
    await disputed.waitFor();
    expect(await disputed.textContent()).toContain(`“Left early ${HOSTILE}”`);
    expect(await page.locator('[data-bucket=disputed] strong').textContent()).toBe('$25.00');
    await shootBoth(page, 'operations');
    await disputed.getByTestId('escrow-refund').click();
    await expect.poll(() => disputed.count()).toBe(0);
    await page.reload();
    const refund = page.getByTestId('refund-row').first();
    await refund.waitFor();
    expect([await refund.getAttribute('data-to'), await refund.getAttribute('data-state')]).toEqual(
      ['wallet', 'done'],
    );
    expect(await refund.textContent()).toContain('$25.00');
    expect(await xss(page)).toBeUndefined();
  });
});
