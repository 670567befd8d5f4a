import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import type { ConfigEnv } from '../server/src/config.ts';
import { darkBlues, launchChromium, participantPage, screenshot } from './browser.ts';
import { chromiumPath } from './chromium-path.ts';
import { pgliteTarget } from './databases.ts';
import { PASSWORD, buildClient, buildSession } from './factories.ts';
import { startServer, type TestServer } from './server.ts';

/** Browser suites run when a Chromium is found; global-setup announces (or, under HG_REQUIRE_ALL, refuses) the skip. */
export const describeInBrowser = (name: string, fn: () => void) =>
  chromiumPath() ? describe(name, fn) : describe.skip(name, fn);

export interface BrowserHarness {
  server: TestServer;
  browser: Browser;
  /** Both participants open their join links, press Join and are in the room. */
  joinBoth(
    type: 'chat' | 'voice' | 'video',
    o?: {
      clientName?: string;
      widths?: [number, number];
      credit?: number;
      scheduledAt?: Date;
      kind?: 'scheduled' | 'on_demand';
    },
  ): Promise<{
    s: Awaited<ReturnType<typeof buildSession>>;
    client: Page;
    expert: Page;
    contexts: [BrowserContext, BrowserContext];
  }>;
  /** A new browser context signed in as `user` (password PASSWORD), on the page sign-in leads to. */
  signIn(user: { email: string }, width?: number): Promise<Page>;
  /** Closes the contexts of the test so far (a finished call must not keep encoding video). */
  closeAll(): Promise<void>;
  /** A context the test made itself, closed with the others after the test. */
  track(context: BrowserContext): void;
}

/**
 * A browser suite's setup: the real server (embedded database, no STUN: loopback only) and one
 * Chromium for the suite; every test's browser contexts closed after it. `env` may be a
 * function, for settings known only once an earlier `beforeAll` ran (a fake provider's URL).
 */
export function browserHarness(env: ConfigEnv | (() => ConfigEnv) = {}): BrowserHarness {
  const open: BrowserContext[] = [];
  const h = {
    track: (context: BrowserContext) => void open.push(context),
    closeAll: async () => {
      for (const c of open.splice(0)) await c.close();
    },
    async signIn(user, width = 1280) {
      const { context, page } = await participantPage(h.browser, h.server.url, width);
      open.push(context);
      await page.goto('/');
      await page.fill('input[name=email]', user.email);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.getByTestId('sign-out').waitFor();
      return page;
    },
    async joinBoth(type, o = {}) {
      const deps = h.server.deps;
      const client = o.clientName ? await buildClient(deps, { name: o.clientName }) : undefined;
      const kind = o.kind ?? 'scheduled';
      const s = await buildSession(deps, {
        kind,
        type,
        ...(kind === 'scheduled' && {
          scheduledAt: o.scheduledAt ?? (await deps.clock.now(deps.db)),
        }),
        ...(client && { client }),
        ...(o.credit !== undefined && { credit: o.credit }),
      });
      const [cw, ew] = o.widths ?? [1280, 1280];
      const [c, e] = await Promise.all([
        participantPage(h.browser, h.server.url, cw),
        participantPage(h.browser, h.server.url, ew),
      ]);
      open.push(c.context, e.context);
      await Promise.all([
        c.page.goto(`/session/${s.links.client.token}`),
        e.page.goto(`/session/${s.links.expert.token}`),
      ]);
      for (const page of [c.page, e.page]) {
        await page.getByTestId('join').click();
        await page.getByTestId('room').waitFor();
      }
      return { s, client: c.page, expert: e.page, contexts: [c.context, e.context] };
    },
  } as BrowserHarness;
  beforeAll(async () => {
    h.server = await startServer(pgliteTarget, {
      STUN_URLS: 'none',
      ...(typeof env === 'function' ? env() : env),
    });
    h.browser = await launchChromium();
  });
  afterEach(() => h.closeAll());
  afterAll(async () => {
    await h.browser?.close();
    await h.server?.close();
  });
  return h;
}

/** Screenshots at 1280 px and 375 px (test artifacts), each checked for dark blue (G6) and for sideways scrolling. */
export async function shootBoth(page: Page, name: string) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await screenshot(page, `${name}-${width}`);
    expect(await darkBlues(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      width,
    );
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
