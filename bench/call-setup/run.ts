/**
 * bench/call-setup — time from pressing Join to the first remote video frame, in Hourglass's
 * room beside a minimal raw WebRTC page with a bare WebSocket relay (bench/call-setup/raw.html),
 * in the same Chromium, on loopback, with the same fake camera.
 *
 *   [TEST_DATABASE_URL=postgres://…] npm run bench:call-setup -- [--runs 15]
 *
 * Hourglass: the server in this process (all roles; a fresh PostgreSQL database when
 * TEST_DATABASE_URL is set, else the embedded one), the built web app; the
 * expert is already in the room; the client's page has passed its preflight (devices open),
 * then Join is pressed. Measured in the client's page: Join's click → the first frame of the
 * remote <video> (requestVideoFrameCallback). Includes the handshake (token check, attendance,
 * the clock starting), the state, the ICE servers' request and perfect negotiation.
 * Raw: the same two roles; Join opens the relay's WebSocket and the joiner offers.
 * The two alternate call by call. Reported: median and p90 of each, and the ratio of medians
 * (goal ≤ 1.15×).
 */
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Browser, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.ts';
import { buildApp } from '../../server/src/app.ts';
import { loadConfig } from '../../server/src/config.ts';
import { connectPglite, connectPostgres } from '../../server/src/db/connect.ts';
import { createDatabase, dropDatabase } from '../../test-support/postgres-admin.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { databaseClock } from '../../server/src/platform/clock.ts';
import { randomIds } from '../../server/src/platform/ids.ts';
import { launchChromium, participantPage } from '../../test-support/browser.ts';
import { buildSession } from '../../test-support/factories.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const RUNS = Number(values.runs);

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const summary = (xs: number[]) => ({ median: quantile(xs, 0.5), p90: quantile(xs, 0.9) });

async function timeJoin(page: Page): Promise<number> {
  await page.evaluate(() => {
    const w = window as unknown as { joinedAt?: number; firstFrame?: number };
    document
      .querySelector('[data-testid=join], #join')!
      .addEventListener('click', () => (w.joinedAt ??= performance.now()), { capture: true });
  });
  await page.locator('[data-testid=join], #join').click();
  await page.waitForFunction(
    () => {
      const w = window as unknown as { firstFrame?: number };
      const v = document.querySelector<HTMLVideoElement>('[data-testid=remote-video]');
      if (v && w.firstFrame === undefined && !(v as unknown as { hooked?: boolean }).hooked) {
        (v as unknown as { hooked?: boolean }).hooked = true;
        v.requestVideoFrameCallback(() => (w.firstFrame = performance.now()));
      }
      return w.firstFrame !== undefined;
    },
    undefined,
    { timeout: 30_000, polling: 5 },
  );
  return page.evaluate(() => {
    const w = window as unknown as { joinedAt: number; firstFrame: number };
    return w.firstFrame - w.joinedAt;
  });
}

/** PostgreSQL when TEST_DATABASE_URL names a server (a fresh database, dropped after), else the embedded one. */
async function openDatabase() {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return { database: await connectPglite(), drop: async () => {} };
  const name = `hg_bench_calls_${randomBytes(4).toString('hex')}`;
  const database = connectPostgres(await createDatabase(base, name), 10);
  return { database, drop: () => dropDatabase(base, name) };
}

/** The Hourglass side: the server in this process; each call a fresh session, the expert already in the room. */
async function hourglass(browser: Browser) {
  const { database, drop } = await openDatabase();
  await migrate(database.db);
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DEMO_SEED: 'false',
    PORT: '0',
    HOST: '127.0.0.1',
    STUN_URLS: 'none',
  });
  const { app, deps } = await buildApp({ config, database, clock: databaseClock, ids: randomIds });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  deps.config.publicUrl = url;
  return {
    async call(): Promise<number> {
      const s = await buildSession(deps, {
        kind: 'scheduled',
        type: 'video',
        scheduledAt: await deps.clock.now(deps.db),
      });
      const [expert, client] = [
        await participantPage(browser, url),
        await participantPage(browser, url),
      ];
      try {
        await expert.page.goto(`/session/${s.links.expert.token}`);
        await expert.page.getByTestId('join').click();
        await expert.page.getByTestId('local-video').waitFor();
        await client.page.goto(`/session/${s.links.client.token}`);
        await client.page.waitForSelector('[data-testid=preflight][data-ready=true]');
        return await timeJoin(client.page).catch(async (err: unknown) => {
          for (const [name, p] of [
            ['expert', expert.page],
            ['client', client.page],
          ] as const)
            console.error(name, await peerState(p));
          throw err;
        });
      } finally {
        await Promise.all([expert.context.close(), client.context.close()]);
      }
    },
    async close() {
      await app.close();
      await database.close();
      await drop();
    },
  };
}

/** What a stuck call looked like, for the error output. */
const peerState = (p: Page) =>
  p.evaluate(() => {
    const m = (
      window as unknown as { hourglass?: { media: { pc: RTCPeerConnection; remote: MediaStream } } }
    ).hourglass?.media;
    const v = document.querySelector<HTMLVideoElement>('[data-testid=remote-video]');
    return (
      m && {
        sig: m.pc.signalingState,
        conn: m.pc.connectionState,
        ice: m.pc.iceConnectionState,
        remote: m.remote.getTracks().map((t) => `${t.kind}:${t.readyState}:${t.muted}`),
        video: v && { w: v.videoWidth, t: v.currentTime, src: !!v.srcObject, paused: v.paused },
      }
    );
  });

/** The baseline: raw.html and a relay that passes each message to the other socket of its room. */
async function raw(browser: Browser) {
  const page = readFileSync(new URL('./raw.html', import.meta.url));
  const http = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(page),
  );
  const rooms = new Map<string, Set<WebSocket>>();
  const wss = new WebSocketServer({ server: http, path: '/relay' });
  wss.on('connection', (ws, req) => {
    const room = new URL(req.url!, 'http://x').searchParams.get('room')!;
    const peers = rooms.get(room) ?? new Set();
    rooms.set(room, peers.add(ws));
    ws.on('message', (data) => {
      for (const other of peers) if (other !== ws) other.send(String(data));
    });
    ws.on('close', () => peers.delete(ws));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  let n = 0;
  return {
    async call(): Promise<number> {
      const room = n++;
      const [waiting, joiner] = [
        await participantPage(browser, url),
        await participantPage(browser, url),
      ];
      try {
        await waiting.page.goto(`/?role=waiting&room=${room}`);
        await waiting.page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready);
        await waiting.page.locator('#join').click();
        await joiner.page.goto(`/?role=joiner&room=${room}`);
        await joiner.page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready);
        return await timeJoin(joiner.page);
      } finally {
        await Promise.all([waiting.context.close(), joiner.context.close()]);
      }
    },
    async close() {
      wss.close();
      http.close();
    },
  };
}

await buildWeb();
const browser = await launchChromium();
const [hg, base] = [await hourglass(browser), await raw(browser)];
try {
  // Interleaved — one call of each in turn, which goes first alternating — so that the
  // machine's drift (two cores, a browser warming up) falls on both alike. The first call of
  // each (code caches, the first encoder) is a warm-up and left out.
  const times = { hg: [] as number[], base: [] as number[] };
  for (let i = 0; i <= RUNS; i++) {
    const order = i % 2 ? (['hg', 'base'] as const) : (['base', 'hg'] as const);
    for (const side of order) {
      const t = await (side === 'hg' ? hg : base).call();
      if (i > 0) times[side].push(t);
    }
  }
  const [h, b] = [summary(times.hg), summary(times.base)];
  console.log(
    `call setup (Join → first remote video frame), ${RUNS} calls each, interleaved, Chromium on loopback, ${process.env.TEST_DATABASE_URL ? 'PostgreSQL server' : 'embedded database'}:`,
  );
  console.log(
    `  raw WebRTC + bare WebSocket relay: median ${b.median.toFixed(0)} ms, p90 ${b.p90.toFixed(0)} ms`,
  );
  console.log(
    `  Hourglass room:                    median ${h.median.toFixed(0)} ms, p90 ${h.p90.toFixed(0)} ms`,
  );
  console.log(`  ratio (median): ${(h.median / b.median).toFixed(2)}× (goal ≤ 1.15×)`);
} finally {
  await hg.close();
  await base.close();
  await browser.close();
}
