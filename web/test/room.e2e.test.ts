import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import {
  darkBlues,
  inboundBytes,
  participantPage,
  screenshot,
} from '../../test-support/browser.ts';
import { browserHarness, describeInBrowser } from '../../test-support/browser-suite.ts';
import { buildSession } from '../../test-support/factories.ts';

const T0 = new Date('2026-03-02T12:00:00Z');
const HOSTILE = [
  '<img src=x onerror="window.__xss=1">',
  '<a href="javascript:window.__xss=2">click</a>',
  'javascript:window.__xss=3',
  '<script>window.__xss=4</script>',
];

/**
 * Issue 6: the room in real Chromium — two browser contexts (client and expert), the web app
 * served by the real server, real WebRTC media from Chromium's fake devices over loopback.
 */
describeInBrowser('the session room in Chromium', () => {
  const h = browserHarness();
  const joinBoth = (
    type: 'chat' | 'voice' | 'video',
    o: { clientName?: string; widths?: [number, number] } = {},
  ) => h.joinBoth(type, o);

  const texts = (page: Page) => page.getByTestId('message').locator('.text').allTextContents();
  const send = async (page: Page, text: string) => {
    await page.getByTestId('chat-input').fill(text);
    await page.getByTestId('chat-send').click();
  };
  const gum = (page: Page) =>
    page.evaluate(() => (window as unknown as { __gum: MediaStreamConstraints[] }).__gum);

  it('chat: no camera or microphone asked, messages both ways in order, a reload resumes the history', async () => {
    const { client, expert } = await joinBoth('chat');
    const said = ['Hello from the client', 'Hello from the expert', 'A third, from the client'];
    await send(client, said[0]!);
    await expect.poll(() => texts(expert)).toEqual(said.slice(0, 1));
    await send(expert, said[1]!);
    await expect.poll(() => texts(client)).toEqual(said.slice(0, 2));
    await send(client, said[2]!);
    await expect.poll(() => texts(expert)).toEqual(said);
    await expect
      .poll(() =>
        client
          .getByTestId('message')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-delivery'))),
      )
      .toEqual(['sent', 'sent', 'sent']);
    expect(await gum(client)).toEqual([]);
    expect(await gum(expert)).toEqual([]);
    expect(await client.locator('video, audio').count()).toBe(0);

    await client.reload();
    await client.getByTestId('join').click();
    await expect.poll(() => texts(client)).toEqual(said);
    const seqs = await client
      .getByTestId('message')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('hostile text in chat and in names is shown as text and runs nothing', async () => {
    const { client, expert } = await joinBoth('chat', { clientName: HOSTILE[0]! });
    for (const h of HOSTILE) await send(client, h);
    await expect.poll(() => texts(expert)).toEqual(HOSTILE);
    expect(await expert.getByTestId('counterpart').first().textContent()).toBe(HOSTILE[0]);
    for (const page of [client, expert]) {
      expect(await page.locator('main img, main script, a[href^="javascript:"]').count()).toBe(0);
      expect(
        await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
      ).toBeUndefined();
    }
  });

  it('video: real media both ways, no chat, the timers agree, one side ends, the other sees it, the rating is saved, the summary reaches the client, private notes are kept', async () => {
    const { s, client, expert } = await joinBoth('video');
    for (const page of [client, expert]) {
      // The remote <video> shows decoded frames of the other side's camera.
      await page.waitForFunction(
        () => {
          const v = document.querySelector<HTMLVideoElement>('[data-testid=remote-video]');
          return !!v && v.videoWidth > 0 && v.currentTime > 0;
        },
        undefined,
        { timeout: 20_000 },
      );
      const before = await inboundBytes(page);
      await expect
        .poll(() => inboundBytes(page), { timeout: 10_000 })
        .toSatisfy(
          (b: { audio: number; video: number }) => b.audio > before.audio && b.video > before.video,
        );
      expect(await gum(page)).toEqual([{ audio: true, video: true }]);
      expect(await page.getByTestId('chat-input').count()).toBe(0);
      expect(await page.locator('[data-testid=local-video].mirrored').count()).toBe(1);
    }
    const [a, b] = await Promise.all(
      [client, expert].map((p) => p.getByTestId('remaining').getAttribute('data-ms')),
    );
    expect(Math.abs(Number(a) - Number(b))).toBeLessThan(1000);

    await expert.getByTestId('end').click();
    for (const page of [client, expert]) {
      await page.getByTestId('summary').waitFor();
      expect(await page.getByTestId('end-reason').getAttribute('data-reason')).toBe(
        'ended_by_expert',
      );
    }
    // The client rates (stars and text); the expert is not asked.
    expect(await expert.getByTestId('rating-dialog').count()).toBe(0);
    await client.getByTestId('star-4').click();
    await client.getByTestId('rating-text').fill('Clear answers, good call.');
    await client.getByTestId('rating-submit').click();
    await client.getByTestId('rating-saved').waitFor();
    const rating = await h.server.deps.db
      .selectFrom('session_ratings')
      .select(['stars', 'text'])
      .where('session_id', '=', s.session.id)
      .executeTakeFirstOrThrow();
    expect(rating).toEqual({ stars: 4, text: 'Clear answers, good call.' });

    // F3: the expert writes the summary; the client's summary shows it (as text) without a reload.
    const summary =
      'Saturn: <img src=x onerror="window.__xss=1"> patience.\nNext time: the 7th house.';
    expect(await client.getByTestId('summary-input').count()).toBe(0);
    await expert.getByTestId('summary-input').fill(summary);
    await expert.getByTestId('summary-save').click();
    await expert.getByTestId('summary-saved').waitFor();
    await expect
      .poll(() => client.getByTestId('summary-text').textContent(), { timeout: 8000 })
      .toBe(summary);
    expect(await client.locator('[data-testid=session-summary] img').count()).toBe(0);
    // Private notes: the client's own, kept; the expert's stay empty.
    await client.locator('[data-testid=private-notes] summary').click();
    await client.getByTestId('notes-input').fill('Book again in a month.');
    await client.getByTestId('notes-save').click();
    await client.getByTestId('notes-saved').waitFor();
    const notes = await h.server.deps.db
      .selectFrom('session_notes')
      .select(['author_id', 'kind', 'text'])
      .where('session_id', '=', s.session.id)
      .orderBy('kind')
      .execute();
    expect(notes).toEqual([
      { author_id: s.client.id, kind: 'private', text: 'Book again in a month.' },
      { author_id: s.expert.id, kind: 'summary', text: summary },
    ]);
    expect(
      await client.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
  });

  it("video, expert first: the client's offer is made during its preflight, before Join, and the expert answers it", async () => {
    const deps = h.server.deps;
    const s = await buildSession(deps, {
      kind: 'scheduled',
      type: 'video',
      scheduledAt: await deps.clock.now(deps.db),
    });
    const [c, e] = await Promise.all([
      participantPage(h.browser, h.server.url),
      participantPage(h.browser, h.server.url),
    ]);
    h.track(c.context);
    h.track(e.context);
    await e.page.goto(`/session/${s.links.expert.token}`);
    await e.page.getByTestId('join').click();
    await e.page.getByTestId('local-video').waitFor();
    // Every peer connection the client's page makes, kept where the test can look at it.
    await c.context.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      const made: RTCPeerConnection[] = [];
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = made;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          made.push(this);
        }
      };
    });
    await c.page.goto(`/session/${s.links.client.token}`);
    await c.page.waitForSelector('[data-testid=preflight][data-ready=true]');
    const lobby = () =>
      c.page.evaluate(() =>
        (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.map((pc) => ({
          state: pc.signalingState,
          candidates: (pc.localDescription?.sdp ?? '').includes('a=candidate'),
        })),
      );
    // Not joined yet, and already an offer with its candidates in it.
    await expect
      .poll(lobby, { timeout: 10_000 })
      .toEqual([{ state: 'have-local-offer', candidates: true }]);
    expect(
      await deps.db
        .selectFrom('sessions')
        .select('client_joined_at')
        .where('id', '=', s.session.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ client_joined_at: null });

    await c.page.getByTestId('join').click();
    for (const page of [c.page, e.page]) {
      await page.waitForFunction(
        () =>
          (document.querySelector<HTMLVideoElement>('[data-testid=remote-video]')?.videoWidth ??
            0) > 0,
        undefined,
        { timeout: 20_000 },
      );
    }
    // One negotiation: the client's offer, the expert's answer; no second peer connection.
    const described = (page: Page) =>
      page.evaluate(
        () =>
          (window as unknown as { hourglass: { media: { pc: RTCPeerConnection } } }).hourglass.media
            .pc.localDescription?.type,
      );
    expect([await described(c.page), await described(e.page)]).toEqual(['offer', 'answer']);
    expect((await lobby()).length).toBe(1);
  });

  it('each room type at 1280 px and 375 px: screenshots saved, no dark blue rendered, nothing wider than the screen', async () => {
    for (const type of ['chat', 'voice', 'video'] as const) {
      const { client, expert } = await joinBoth(type, { widths: [1280, 375] });
      if (type === 'chat') {
        await client.getByTestId('chat-input').fill('How does the chart look this week?');
        await client.getByTestId('chat-send').click();
        await expect.poll(() => texts(expert)).toHaveLength(1);
      } else {
        for (const page of [client, expert])
          await expect
            .poll(() => inboundBytes(page), { timeout: 20_000 })
            .toSatisfy((b: { audio: number }) => b.audio > 0);
      }
      for (const [page, width] of [
        [client, 1280],
        [expert, 375],
      ] as const) {
        await screenshot(page, `room-${type}-${width}`);
        expect(await darkBlues(page)).toEqual([]);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
          width,
        );
      }
      await h.closeAll();
    }
  });

  it('preflight: blocked devices keep Join disabled with the reason; Retry after allowing passes every check', async () => {
    const s = await buildSession(h.server.deps, {
      kind: 'scheduled',
      type: 'video',
      scheduledAt: T0,
    });
    const { context, page } = await participantPage(h.browser, h.server.url, 375, {
      denyDevices: true,
    });
    h.track(context);
    await page.goto(`/session/${s.links.client.token}`);
    await expect
      .poll(() => page.getByTestId('check-microphone').getAttribute('data-state'))
      .toBe('failed');
    expect(await page.getByTestId('check-camera').textContent()).toContain('blocked');
    await expect
      .poll(() => page.getByTestId('check-network').getAttribute('data-state'))
      .toBe('ok');
    expect(await page.getByTestId('join').isDisabled()).toBe(true);
    await screenshot(page, 'preflight-blocked-375');

    await page.evaluate(() => ((window as unknown as { __deny: boolean }).__deny = false));
    await page.getByTestId('preflight-retry').click();
    for (const check of ['microphone', 'camera', 'network'])
      await expect
        .poll(() => page.getByTestId(`check-${check}`).getAttribute('data-state'))
        .toBe('ok');
    await page.getByTestId('mic-level').waitFor();
    expect(await page.getByTestId('join').isEnabled()).toBe(true);
  });

  it('voice: audio only — no video asked for, no <video> element, audio flows both ways', async () => {
    const { client, expert } = await joinBoth('voice');
    for (const page of [client, expert]) {
      await page.getByTestId('remote-audio').waitFor({ state: 'attached' });
      await expect
        .poll(() => inboundBytes(page), { timeout: 20_000 })
        .toSatisfy((b: { audio: number; video: number }) => b.audio > 0);
      expect(await gum(page)).toEqual([{ audio: true }]);
      expect(await page.locator('video').count()).toBe(0);
      expect((await inboundBytes(page)).video).toBe(0);
    }
  });
});

describeInBrowser('the session room in Chromium: reconnecting', () => {
  const h = browserHarness();
  const joinBoth = async (type: 'chat' | 'video') => {
    const { client, expert, contexts } = await h.joinBoth(type);
    return {
      client: { page: client, context: contexts[0] },
      expert: { page: expert, context: contexts[1] },
    };
  };
  const texts = (page: Page) => page.getByTestId('message').locator('.text').allTextContents();

  it('chat: the expert goes offline for 5 s — the banner shows, then the chat resumes without gaps or duplicates', async () => {
    const { client, expert } = await joinBoth('chat');
    await client.page.getByTestId('chat-input').fill('before');
    await client.page.getByTestId('chat-send').click();
    await expect.poll(() => texts(expert.page)).toEqual(['before']);

    await expert.context.setOffline(true);
    await expert.page.getByTestId('reconnect-banner').waitFor({ timeout: 15_000 });
    for (const t of ['while away 1', 'while away 2']) {
      await client.page.getByTestId('chat-input').fill(t);
      await client.page.getByTestId('chat-send').click();
    }
    await new Promise((r) => setTimeout(r, 5000)); // the outage itself: five seconds offline
    await expert.context.setOffline(false);
    await expert.page
      .getByTestId('reconnect-banner')
      .waitFor({ state: 'detached', timeout: 15_000 });
    await expect
      .poll(() => texts(expert.page), { timeout: 10_000 })
      .toEqual(['before', 'while away 1', 'while away 2']);
    await expert.page.getByTestId('chat-input').fill('back');
    await expert.page.getByTestId('chat-send').click();
    await expect
      .poll(() => texts(client.page))
      .toEqual(['before', 'while away 1', 'while away 2', 'back']);
  });

  it('video: the expert goes offline for 5 s — the banner shows, then media flows again both ways', async () => {
    const { client, expert } = await joinBoth('video');
    for (const { page } of [client, expert])
      await expect
        .poll(() => inboundBytes(page), { timeout: 20_000 })
        .toSatisfy((b: { video: number }) => b.video > 0);
    await expert.context.setOffline(true);
    await expert.page.getByTestId('reconnect-banner').waitFor({ timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 5000));
    await expert.context.setOffline(false);
    await expert.page
      .getByTestId('reconnect-banner')
      .waitFor({ state: 'detached', timeout: 15_000 });
    for (const { page } of [client, expert]) {
      const before = await inboundBytes(page);
      await expect
        .poll(() => inboundBytes(page), { timeout: 15_000 })
        .toSatisfy(
          (b: { audio: number; video: number }) => b.audio > before.audio && b.video > before.video,
        );
    }
  });
});
