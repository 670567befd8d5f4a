/**
 * bench/realtime — chat through the Hourglass gateway beside a bare Socket.IO relay
 * (bench/realtime/bare-relay.ts: no auth, no persistence), same machine, same driver.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:realtime -- [--sessions 500,2000,5000] [--seconds 10] [--interval-ms 2000] [--window 4] [--snapshots DIR] [--profiles DIR]
 *
 * For each size, each server runs in its own process (Hourglass: `npm start`'s entry point on a
 * fresh PostgreSQL database, all roles, so billing sweeps run meanwhile); this process is the
 * driver: two socket.io-clients per session (client and expert, WebSocket transport).
 *
 * Measured per server:
 * - RSS per connected participant: the server's RSS after every participant is connected,
 *   minus before, over the participant count; each read right after a full garbage
 *   collection (both servers run under with-gc.ts), "before" on a warmed-up server (a few
 *   sessions connected, chatted and closed first, so that code first run by a connection is
 *   not counted as the connections' memory). Beside it the same for the V8 heap in use
 *   (heapUsed): what the connections' objects take, without the slack V8 keeps.
 *   With --snapshots DIR, each server also writes heap snapshots before, at half and with all
 *   participants connected (compare with bench/realtime/heap-diff.ts).
 *   With --profiles DIR, each server's CPU profile over the flat-out window is written there
 *   (the profiler costs the server ≈ 10 %: compare shares within a profile, not the figures),
 *   and its garbage collections in the window are printed; with --snapshots as well, a fourth
 *   snapshot is taken at the end of the window, while the flood is still in flight.
 *   BENCH_NODE_OPTIONS adds Node options to both servers (e.g. --max-semi-space-size=64).
 * - paced: every session's client sends one message every --interval-ms (a lively chat); the
 *   messages delivered per second and the delivery latency (send → the expert's socket) p50/p99.
 * - flat out: every session's client keeps --window messages unanswered, sending the next as
 *   soon as one is answered — its own copy back in `chat:messages`, which Hourglass sends only
 *   once the message is committed — so throughput is bound by the server, not by round trips;
 *   the same figures.
 * Ratios are Hourglass / bare relay. For the flat-out phase it also prints where the CPU went:
 * each process's CPU time over the counted window (/proc/<pid>/stat; PostgreSQL: all its
 * processes) per delivered message, and how many messages a `chat:messages` frame carried —
 * Hourglass puts a batch's messages of a session in one frame, and how many that is decides
 * much of its cost (docs/PERFORMANCE.md).
 */
import { performance } from 'node:perf_hooks';
import { readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { buildSession } from '../../test-support/factories.ts';
import { createDatabase, dropDatabase } from '../../test-support/postgres-admin.ts';
import { startNode, type NodeProcess } from '../../test-support/processes.ts';
import { buildApp } from '../../server/src/app.ts';
import { loadConfig } from '../../server/src/config.ts';
import { connectPostgres } from '../../server/src/db/connect.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { databaseClock } from '../../server/src/platform/clock.ts';
import { randomIds } from '../../server/src/platform/ids.ts';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '500,2000,5000' },
    seconds: { type: 'string', default: '10' },
    'interval-ms': { type: 'string', default: '2000' },
    window: { type: 'string', default: '4' },
    snapshots: { type: 'string' },
    profiles: { type: 'string' },
  },
});
const SIZES = values.sessions.split(',').map(Number);
const SECONDS = Number(values.seconds);
const INTERVAL_MS = Number(values['interval-ms']);
const WINDOW = Number(values.window);
const SNAPSHOTS = values.snapshots;
const PROFILES = values.profiles;
/** Sessions connected, chatted and closed before memory is first read. */
const WARM_UP = 10;
const base = process.env.TEST_DATABASE_URL;
if (!base) throw new Error('Set TEST_DATABASE_URL to a PostgreSQL server (the bench creates and drops its own databases).');

type Pair = { client: Socket; expert: Socket };
interface Figures {
  perSecond: number;
  p50: number;
  p99: number;
  /** Messages per `chat:messages` frame the expert's socket received. */
  perFrame: number;
  /** CPU µs per delivered message: the server process, this driver, every PostgreSQL process. */
  cpu: { server: number; driver: number; postgres: number };
}
interface Result {
  rssPerParticipantKiB: number;
  heapPerParticipantKiB: number;
  paced: Figures;
  flatOut: Figures;
}

/** CPU time (user + system, in clock ticks of 10 ms) of a process. */
const ticks = (pid: number | string) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};
/** The CPU ticks of every process named `postgres`, by pid. */
function postgresTicks() {
  const byPid = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') byPid.set(pid, ticks(pid));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return byPid;
}
/**
 * PostgreSQL's ticks between two readings, process by process: a backend that exits in between
 * (the bench's own pool closing its idle connections) takes its whole past with it, which
 * summed totals counted as negative time. One that started in between counts from zero.
 */
function postgresTicksBetween(before: Map<string, number>, after: Map<string, number>) {
  let total = 0;
  for (const [pid, t] of after) total += t - (before.get(pid) ?? 0);
  return total;
}
const cpuTicks = (serverPid: number) => ({ server: ticks(serverPid), driver: ticks(process.pid), postgres: postgresTicks() });

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** A server script run under bench/realtime/with-gc.ts, so that its memory is read after a full collection. */
const withGc = (env: Record<string, string>, name: string, script: string) =>
  startNode(
    { ...env, NODE_OPTIONS: `--expose-gc ${process.env.BENCH_NODE_OPTIONS ?? ''}`, BENCH_SERVER: script, BENCH_LABEL: name.replace(/\W/g, '-'), BENCH_SNAPSHOTS: SNAPSHOTS ?? '', BENCH_PROFILES: PROFILES ?? '' },
    name,
    'bench/realtime/with-gc.ts',
  );

/** Sends `signal` to the server and waits for the `msg` line it logs when done; returns that line. */
async function signalled(server: NodeProcess, signal: NodeJS.Signals, msg: string) {
  const lines = () => server.log.filter((l) => l.includes(`"msg":"${msg}"`));
  const done = lines().length;
  process.kill(server.pid, signal);
  while (lines().length === done) await new Promise((r) => setTimeout(r, 20));
  return JSON.parse(lines().at(-1)!) as Record<string, unknown>;
}

/** The server's RSS and V8 heap in use (KiB) right after a full garbage collection. */
async function collectedMemory(server: NodeProcess) {
  const line = await signalled(server, 'SIGUSR2', 'collected');
  return { rss: rssKiB(server.pid), heap: Number(line.heapUsed) / 1024 };
}

/** Connects one socket and resolves once the server has registered it (`ready` event). */
function connect(url: string, auth: Record<string, string>, ready: string): Promise<Socket> {
  const socket = io(url, { path: '/socket.io', auth, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once(ready, () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

/** Opens both sides of every session, `concurrency` handshakes at a time. */
async function connectAll(url: string, auths: { client: Record<string, string>; expert: Record<string, string> }[], ready: string) {
  const pairs: Pair[] = new Array(auths.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < auths.length) {
        const i = next++;
        const client = await connect(url, auths[i]!.client, ready);
        const expert = await connect(url, auths[i]!.expert, ready);
        pairs[i] = { client, expert };
      }
    }),
  );
  return pairs;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : Number.NaN);

/**
 * Runs a load for SECONDS (after a 2 s warm-up that is not counted). `send` starts each
 * session's sending; deliveries are timed by the send time carried in the text.
 */
async function measure(
  server: NodeProcess,
  pairs: Pair[],
  start: (pair: Pair, i: number, sendOne: () => Promise<void>) => () => void,
  profile = false,
): Promise<Figures> {
  const latencies: number[] = [];
  let counting = false;
  let delivered = 0;
  let frames = 0;
  const onMessages = (ms: { text: string }[]) => {
    if (!counting) return;
    const now = performance.now();
    delivered += ms.length;
    frames++;
    for (const m of ms) latencies.push(now - Number(m.text.split(' ')[0]));
  };
  // A send is answered by the sender's own copy in the session's `chat:messages` (the SDK's way).
  const answers = new Map<string, () => void>();
  const onOwn = (ms: { clientMsgId: string }[]) => {
    for (const m of ms) answers.get(m.clientMsgId)?.();
  };
  // A refused send is never answered: its sender's loop would stop, and the figures with it.
  const refusals: string[] = [];
  const onRefused = (r: { code: string }) => refusals.push(r.code);
  for (const p of pairs) {
    p.expert.on('chat:messages', onMessages);
    p.client.on('chat:messages', onOwn);
    p.client.on('refused', onRefused);
  }
  let n = 0;
  const stops = pairs.map((pair, i) =>
    start(pair, i, () =>
      new Promise<void>((resolve) => {
        const clientMsgId = `m${n++}`;
        answers.set(clientMsgId, () => (answers.delete(clientMsgId), resolve()));
        pair.client.emit('chat:send', { clientMsgId, text: `${performance.now()} hello` });
      }),
    ),
  );
  await new Promise((r) => setTimeout(r, 2000));
  counting = true;
  if (profile) process.kill(server.pid, 'SIGWINCH');
  const t0 = performance.now();
  const cpu0 = cpuTicks(server.pid);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  counting = false;
  const cpu1 = cpuTicks(server.pid);
  if (profile) console.error(`[bench/realtime] server pid ${server.pid}: garbage collections in the window:`, JSON.stringify((await signalled(server, 'SIGWINCH', 'profiled')).gcs));
  // With both options, one more snapshot while the flood is still in flight: what it holds.
  if (profile && SNAPSHOTS) await signalled(server, 'SIGHUP', 'snapped');
  const elapsed = (performance.now() - t0) / 1000;
  const perMessage = (ticksUsed: number) => (ticksUsed * 10_000) / delivered;
  for (const stop of stops) stop();
  // Let what is in flight land before the next phase.
  await new Promise((r) => setTimeout(r, 1500));
  for (const p of pairs) {
    p.expert.off('chat:messages', onMessages);
    p.client.off('chat:messages', onOwn);
    p.client.off('refused', onRefused);
  }
  if (refusals.length) throw new Error(`${refusals.length} sends were refused (${[...new Set(refusals)].join(', ')}): the figures would not be the server's`);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: delivered / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    perFrame: delivered / frames,
    cpu: {
      server: perMessage(cpu1.server - cpu0.server),
      driver: perMessage(cpu1.driver - cpu0.driver),
      postgres: perMessage(postgresTicksBetween(cpu0.postgres, cpu1.postgres)),
    },
  };
}

/** Every session's client sends every INTERVAL_MS, the sessions spread evenly over the interval. */
const paced = (server: NodeProcess, pairs: Pair[]) =>
  measure(server, pairs, (_pair, i, sendOne) => {
    let timer: NodeJS.Timeout | undefined;
    const first = setTimeout(() => {
      void sendOne();
      timer = setInterval(() => void sendOne(), INTERVAL_MS);
    }, (i / pairs.length) * INTERVAL_MS);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  });

/** Every session's client keeps WINDOW messages unacknowledged: a new one as soon as one is acknowledged. */
const flatOut = (server: NodeProcess, pairs: Pair[]) =>
  measure(server, pairs, (_pair, _i, sendOne) => {
    let stopped = false;
    const loop = async () => {
      while (!stopped) await sendOne();
    };
    for (let w = 0; w < WINDOW; w++) void loop();
    return () => {
      stopped = true;
    };
  }, PROFILES !== undefined);

type Auths = Parameters<typeof connectAll>[1];

/** Connects WARM_UP sessions, has each client send one message and hear it back, and closes them. */
async function warmUp(url: string, auths: Auths, ready: string) {
  const pairs = await connectAll(url, auths, ready);
  await Promise.all(
    pairs.map(
      ({ client }, i) =>
        new Promise<void>((resolve) => {
          client.once('chat:messages', () => resolve());
          client.emit('chat:send', { clientMsgId: `warm-${i}`, text: `${performance.now()} warm-up` });
        }),
    ),
  );
  for (const p of pairs) {
    p.client.close();
    p.expert.close();
  }
  await new Promise((r) => setTimeout(r, 1000));
}

async function runAgainst(server: NodeProcess, warm: Auths, auths: Auths, ready: string): Promise<Result> {
  await warmUp(server.url, warm, ready);
  const snapshot = async () => SNAPSHOTS && (await signalled(server, 'SIGHUP', 'snapped'));
  const before = await collectedMemory(server);
  await snapshot();
  const half = await connectAll(server.url, auths.slice(0, auths.length / 2), ready);
  await snapshot();
  const pairs = [...half, ...(await connectAll(server.url, auths.slice(auths.length / 2), ready))];
  // Let the connections settle (timers, the first heartbeats), then read after a full collection.
  await new Promise((r) => setTimeout(r, 3000));
  const after = await collectedMemory(server);
  await snapshot();
  const participants = pairs.length * 2;
  const result = {
    rssPerParticipantKiB: (after.rss - before.rss) / participants,
    heapPerParticipantKiB: (after.heap - before.heap) / participants,
    paced: await paced(server, pairs),
    flatOut: await flatOut(server, pairs),
  };
  for (const p of pairs) {
    p.client.close();
    p.expert.close();
  }
  return result;
}

async function bare(sessions: number): Promise<Result> {
  const server = await withGc({}, 'bare relay', 'bench/realtime/bare-relay.ts');
  try {
    const auths = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ client: { room: `${prefix}${i}` }, expert: { room: `${prefix}${i}` } }));
    return await runAgainst(server, auths(WARM_UP, 'w'), auths(sessions, 'r'), 'connect');
  } finally {
    await server.stop();
  }
}

async function hourglass(sessions: number): Promise<Result> {
  const name = `hg_bench_rt_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(base!, name);
  const database = connectPostgres(url, 16);
  let server: NodeProcess | undefined;
  try {
    await migrate(database.db);
    const config = loadConfig({ DATABASE_URL: url, ROLES: 'api', LOG_LEVEL: 'silent', DEMO_SEED: 'false' });
    const { deps } = await buildApp({ config, database, clock: databaseClock, ids: randomIds });
    const auths: Auths = new Array(sessions + WARM_UP);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < auths.length) {
          const i = next++;
          // Credit for far longer than the run: billing sweeps charge every minute meanwhile.
          const s = await buildSession(deps, { type: 'chat', credit: 1_000_000 });
          auths[i] = { client: { token: s.links.client.token }, expert: { token: s.links.expert.token } };
        }
      }),
    );
    // The per-connection rate limit (20 messages/s by default) is a policy, not a capacity:
    // flat out at 500 sessions each client would send more than that, be refused, and stop.
    server = await withGc({ DATABASE_URL: url, REALTIME_RATE_PER_S: '10000', REALTIME_BURST: '10000' }, 'hourglass', 'server/src/main.ts');
    return await runAgainst(server, auths.slice(sessions), auths.slice(0, sessions), 'session:state');
  } finally {
    await server?.stop();
    await database.close();
    await dropDatabase(base!, name);
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (sessions: number, what: string, b: Figures, h: Figures) =>
  `| ${fmt(sessions)} | ${what} | ${fmt(b.perSecond)} | ${fmt(h.perSecond)} | **${fmt(h.perSecond / b.perSecond, 2)}×** | ${fmt(b.p50, 1)} / ${fmt(b.p99, 1)} | ${fmt(h.p50, 1)} / ${fmt(h.p99, 1)} |`;

const lines = [
  `bench/realtime: ${SECONDS} s per phase, paced at one message per session every ${INTERVAL_MS} ms, flat out with ${WINDOW} unacknowledged per session`,
  '',
  '| sessions | load | bare msgs/s | Hourglass msgs/s | ratio | bare p50 / p99 ms | Hourglass p50 / p99 ms |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
const cpu: string[] = [
  '',
  'Flat out, CPU µs per delivered message (each process over the counted window) and messages per frame:',
  '',
  '| sessions | server | msgs / frame | server µs | PostgreSQL µs | driver µs | total µs |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
const cpuRow = (sessions: number, who: string, f: Figures) =>
  `| ${fmt(sessions)} | ${who} | ${fmt(f.perFrame, 2)} | ${fmt(f.cpu.server)} | ${fmt(f.cpu.postgres)} | ${fmt(f.cpu.driver)} | ${fmt(f.cpu.server + f.cpu.postgres + f.cpu.driver)} |`;
const memory: string[] = [
  '',
  'Memory per connected participant, KiB: RSS, and the V8 heap in use (after a full collection):',
  '',
  '| sessions | bare RSS | Hourglass RSS | ratio | bare heap | Hourglass heap | ratio |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
for (const sessions of SIZES) {
  const b = await bare(sessions);
  const h = await hourglass(sessions);
  lines.push(row(sessions, 'paced', b.paced, h.paced), row(sessions, 'flat out', b.flatOut, h.flatOut));
  cpu.push(cpuRow(sessions, 'bare relay', b.flatOut), cpuRow(sessions, 'Hourglass', h.flatOut));
  const ratio = (x: number, y: number) => `${fmt(x, 1)} | ${fmt(y, 1)} | **${fmt(y / x, 2)}×**`;
  memory.push(`| ${fmt(sessions)} | ${ratio(b.rssPerParticipantKiB, h.rssPerParticipantKiB)} | ${ratio(b.heapPerParticipantKiB, h.heapPerParticipantKiB)} |`);
  console.error(`[bench/realtime] ${sessions} sessions done`);
}
console.log([...lines, ...cpu, ...memory].join('\n'));
process.exit(0);
