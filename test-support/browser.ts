import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumPath } from './chromium-path.ts';

/** Real media from Chromium's fake devices (a test pattern and a tone), real WebRTC on loopback. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath()!,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * A participant's browser: its own context (cookies, storage), camera and microphone allowed,
 * and every getUserMedia call recorded in `window.__gum` so tests can say what was asked.
 * `denyDevices`: getUserMedia refuses (NotAllowedError) while `window.__deny` is true.
 */
export async function participantPage(
  browser: Browser,
  baseUrl: string,
  width = 1280,
  o: { denyDevices?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width, height: width < 500 ? 740 : 800 },
    permissions: ['camera', 'microphone'],
    baseURL: baseUrl,
  });
  await context.addInitScript((deny: boolean) => {
    const w = window as unknown as { __gum: MediaStreamConstraints[]; __deny: boolean };
    w.__gum = [];
    w.__deny = deny;
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) => {
      w.__gum.push(c ?? {});
      return w.__deny
        ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
        : original(c);
    };
  }, o.denyDevices ?? false);
  const page = await context.newPage();
  return { context, page };
}

/** Inbound RTP bytes per kind, from the room's peer connection (the app's `window.hourglass` handle). */
export function inboundBytes(page: Page): Promise<{ audio: number; video: number }> {
  return page.evaluate(async () => {
    const media = (
      window as unknown as {
        hourglass?: {
          media: { stats(): Promise<{ inboundBytes: { audio: number; video: number } }> };
        };
      }
    ).hourglass?.media;
    return media ? (await media.stats()).inboundBytes : { audio: 0, video: 0 };
  });
}

/** Where browser tests leave their screenshots (kept by CI as artifacts; ignored by git). */
export const ARTIFACTS = fileURLToPath(
  new URL('../.vitest-artifacts/screenshots/', import.meta.url),
);

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * SPEC G6 says no dark blue anywhere: every rendered colour (text, background, borders,
 * outlines, SVG fill and stroke) of every visible element is checked. Dark blue: a hue of
 * 200–260° with a visible colour (chroma > 20 %: navy, #1e3a8a, #1d4ed8) and dark
 * (lightness < 50 %). The spec's own near-black text #111827 (chroma 9 %) is not blue to the
 * eye and passes. Returns the offenders.
 */
export function darkBlues(
  page: Page,
): Promise<{ element: string; property: string; value: string }[]> {
  return page.evaluate(() => {
    const props = [
      'color',
      'background-color',
      'border-top-color',
      'border-right-color',
      'border-bottom-color',
      'border-left-color',
      'outline-color',
      'fill',
      'stroke',
      'text-decoration-color',
      'caret-color',
    ];
    const hsl = (r: number, g: number, b: number) => {
      const [R, G, B] = [r / 255, g / 255, b / 255];
      const max = Math.max(R, G, B);
      const min = Math.min(R, G, B);
      const l = (max + min) / 2;
      const chroma = max - min;
      if (chroma === 0) return { h: 0, chroma, l };
      const h =
        max === R
          ? (G - B) / chroma + (G < B ? 6 : 0)
          : max === G
            ? (B - R) / chroma + 2
            : (R - G) / chroma + 4;
      return { h: h * 60, chroma, l };
    };
    const out: { element: string; property: string; value: string }[] = [];
    for (const el of Array.from(document.querySelectorAll('*'))) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      for (const property of props) {
        const value = style.getPropertyValue(property);
        const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\)/.exec(value);
        if (!m || (m[4] !== undefined && Number(m[4]) === 0)) continue;
        const { h, chroma, l } = hsl(Number(m[1]), Number(m[2]), Number(m[3]));
        if (h >= 200 && h <= 260 && chroma > 0.2 && l < 0.5)
          out.push({
            element: el.tagName.toLowerCase() + (el.className ? `.${String(el.className)}` : ''),
            property,
            value,
          });
      }
    }
    return out;
  });
}
