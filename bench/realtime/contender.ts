/**
 * One server under bench/realtime (run.ts), in a process of its own that run.ts forks per server
 * and size: `contender.ts bare|hourglass <sessions> [run.ts's flags]`. It starts its server
 * (Hourglass: on a fresh PostgreSQL database with its sessions made), holds both sides of every
 * session as socket.io-clients, and runs what run.ts asks over IPC, one command at a time:
 * `connect` (warm up, connect, read the memory), `paced`, `flatOut`, `stop`. A process per
 * server, because the two servers' sockets together (20,000 at 5,000 sessions) are more file
 * descriptors than one process may hold here; and its CPU is then this server's driver's alone.
 */
import { performance } from 'node:perf_hooks';
import { readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
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
import {
  CONNECT_CONCURRENCY,
  INTERVAL_MS,
  PROFILES,
  SECONDS,
  SETTLE_MS,
  SNAPSHOTS,
  WARM_UP,
  WINDOW,
  base,
  type Figures,
  type Memory,
} from './options.ts';

type Pair = { client: Socket; expert: Socket };

/**
 * Each phase's lead-in before its counted window (not WARM_UP, the sessions that warm a server
 * up before its memory is read); flat out, the sessions start over its first RAMP_MS.
 */
const LEAD_IN_MS = 2000;
const RAMP_MS = 1000;

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
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres')
        byPid.set(pid, ticks(pid));
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
const cpuTicks = (serverPid: number) => ({
  server: ticks(serverPid),
  driver: ticks(process.pid),
  postgres: postgresTicks(),
});

/** A server script run under bench/realtime/with-gc.ts, so that its memory is read after a full collection. */
function withGc(env: Record<string, string>, name: string, script: string) {
  const label = name.replace(/\W/g, '-');
  const heaptrack = process.env.BENCH_HEAPTRACK;
  return startNode(
    {
      ...env,
      NODE_OPTIONS: `--expose-gc ${process.env.BENCH_NODE_OPTIONS ?? ''}`,
      BENCH_SERVER: script,
      BENCH_LABEL: label,
      BENCH_SNAPSHOTS: SNAPSHOTS ?? '',
      BENCH_PROFILES: PROFILES ?? '',
      // The allocator as an operator may set it, the same for both servers: glibc malloc's
      // MALLOC_* and GLIBC_TUNABLES, or another malloc (BENCH_LD_PRELOAD, e.g. Debian's jemalloc).
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          (e): e is [string, string] =>
            /^(MALLOC_|GLIBC_TUNABLES$)/.test(e[0]) && e[1] !== undefined,
        ),
      ),
      ...(process.env.BENCH_LD_PRELOAD ? { LD_PRELOAD: process.env.BENCH_LD_PRELOAD } : {}),
      // malloc's allocations by call stack (run.ts says how to read them).
      ...(heaptrack
        ? {
            LD_PRELOAD: '/usr/lib/heaptrack/libheaptrack_preload.so',
            DUMP_HEAPTRACK_OUTPUT: `${heaptrack}/${label}.raw`,
          }
        : {}),
    },
    name,
    'bench/realtime/with-gc.ts',
  );
}

/** Sends `signal` to the server and waits for the `msg` line it logs when done; returns that line. */
async function signalled(server: NodeProcess, signal: NodeJS.Signals, msg: string) {
  const lines = () => server.log.filter((l) => l.includes(`"msg":"${msg}"`));
  const done = lines().length;
  process.kill(server.pid, signal);
  while (lines().length === done) await new Promise((r) => setTimeout(r, 20));
  return JSON.parse(lines().at(-1)!) as Record<string, unknown>;
}

/** The server's memory (KiB), read after SETTLE_MS alone and a full garbage collection (with-gc.ts). */
async function settledMemory(server: NodeProcess): Promise<Memory> {
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  type Compacted = { rss: number; young: number; spaces: Record<string, number> };
  const line = (await signalled(server, 'SIGUSR2', 'collected')) as {
    rss: number;
    young: number;
    heapUsed: number;
    compacted: Compacted;
  };
  if (process.env.BENCH_MEMORY_LOG)
    console.error(`[memory] ${process.argv[2]} ${JSON.stringify(line)}`);
  return {
    rss: line.rss / 1024,
    young: line.young / 1024,
    heap: line.heapUsed / 1024,
    compacted: {
      rss: line.compacted.rss / 1024,
      young: line.compacted.young / 1024,
      // Every space's resident bytes, the young generation's (`young`) taken out.
      old:
        (Object.values(line.compacted.spaces).reduce((a, b) => a + b, 0) - line.compacted.young) /
        1024,
    },
  };
}

/** Connects one socket and resolves once the server has registered it (`ready` event). */
function connect(url: string, auth: Record<string, string>, ready: string): Promise<Socket> {
  const socket = io(url, {
    path: '/socket.io',
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once(ready, () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

/** Opens both sides of every session, --connect-concurrency handshakes at a time. */
async function connectAll(
  url: string,
  auths: { client: Record<string, string>; expert: Record<string, string> }[],
  ready: string,
) {
  const pairs: Pair[] = new Array(auths.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECT_CONCURRENCY }, async () => {
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

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : Number.NaN;

/**
 * Runs a load for SECONDS (after a 2 s warm-up that is not counted). `send` starts each
 * session's sending; deliveries are timed by the send time carried in the text.
 */
async function measure(
  server: NodeProcess,
  pairs: Pair[],
  phase: 'paced' | 'flat out',
  start: (pair: Pair, i: number, sendOne: () => Promise<void>) => () => void,
  profile = false,
): Promise<Figures> {
  const latencies: number[] = [];
  let counting = false;
  let delivered = 0;
  // When each counted frame was handled, and its size: the window's halves are split by time
  // (and their count is the frames counted).
  const frameTimes: number[] = [];
  const frameSizes: number[] = [];
  const onMessages = (ms: { text: string }[]) => {
    if (!counting) return;
    const now = performance.now();
    delivered += ms.length;
    frameTimes.push(now);
    frameSizes.push(ms.length);
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
    start(
      pair,
      i,
      () =>
        new Promise<void>((resolve) => {
          const clientMsgId = `m${n++}`;
          answers.set(clientMsgId, () => (answers.delete(clientMsgId), resolve()));
          pair.client.emit('chat:send', { clientMsgId, text: `${performance.now()} hello` });
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, LEAD_IN_MS));
  counting = true;
  // Wall-clock time, to set beside PostgreSQL's log (a checkpoint's writes falling on a window).
  console.error(
    `[bench/realtime] ${process.argv[2]} ${pairs.length} sessions, ${phase}: counted window from ${new Date().toISOString()} for ${SECONDS} s`,
  );
  if (profile) process.kill(server.pid, 'SIGWINCH');
  const t0 = performance.now();
  const cpu0 = cpuTicks(server.pid);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  counting = false;
  const t1 = performance.now();
  // How full frames were in the window's first half and in its second (a flood's start splits a
  // session's burst, and the split mends only by chance: docs/perf-log/). Split at the
  // middle of the window as it ran: flat out at 5,000 sessions this process's timers fire
  // seconds late, and a halfway timer fired with the closing one (one half held everything).
  const half = { delivered: 0, frames: 0 };
  for (let i = 0; i < frameTimes.length && frameTimes[i]! < (t0 + t1) / 2; i++) {
    half.delivered += frameSizes[i]!;
    half.frames++;
  }
  const cpu1 = cpuTicks(server.pid);
  if (profile)
    console.error(
      `[bench/realtime] server pid ${server.pid}: garbage collections in the window:`,
      JSON.stringify((await signalled(server, 'SIGWINCH', 'profiled')).gcs),
    );
  // With both options, one more snapshot while the flood is still in flight: what it holds.
  if (profile && SNAPSHOTS) await signalled(server, 'SIGHUP', 'snapped');
  const elapsed = (t1 - t0) / 1000;
  const perFrame = (messages: number, inFrames: number) =>
    inFrames > 0 ? messages / inFrames : null;
  const frames = frameTimes.length;
  const perMessage = (ticksUsed: number) => (ticksUsed * 10_000) / delivered;
  for (const stop of stops) stop();
  // Let what is in flight land before the next phase.
  await new Promise((r) => setTimeout(r, 1500));
  for (const p of pairs) {
    p.expert.off('chat:messages', onMessages);
    p.client.off('chat:messages', onOwn);
    p.client.off('refused', onRefused);
  }
  if (refusals.length)
    throw new Error(
      `${refusals.length} sends were refused (${[...new Set(refusals)].join(', ')}): the figures would not be the server's`,
    );
  latencies.sort((a, b) => a - b);
  return {
    perSecond: delivered / elapsed,
    windowS: elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    perFrame: delivered / frames,
    deliveredHalves: [half.delivered, delivered - half.delivered],
    // A half with no frame in it has no figure: null, as JSON would turn NaN into anyway.
    perFrameHalves: [
      perFrame(half.delivered, half.frames),
      perFrame(delivered - half.delivered, frames - half.frames),
    ],
    cpu: {
      server: perMessage(cpu1.server - cpu0.server),
      driver: perMessage(cpu1.driver - cpu0.driver),
      postgres: perMessage(postgresTicksBetween(cpu0.postgres, cpu1.postgres)),
    },
  };
}

/** Every session's client sends every INTERVAL_MS, the sessions spread evenly over the interval. */
const paced = (server: NodeProcess, pairs: Pair[]) =>
  measure(server, pairs, 'paced', (_pair, i, sendOne) => {
    let timer: NodeJS.Timeout | undefined;
    const first = setTimeout(
      () => {
        void sendOne();
        timer = setInterval(() => void sendOne(), INTERVAL_MS);
      },
      (i / pairs.length) * INTERVAL_MS,
    );
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  });

/**
 * Every session's client keeps WINDOW messages unacknowledged: a new one as soon as one is
 * acknowledged. The sessions start one after another over the warm-up's first second, as the
 * paced phase spreads them over its interval: started in one tick (until 2026-12-02), every
 * client's first burst reached a server swamped by all the others, sessions' bursts were read
 * in pieces that fell into different batches, and they stayed apart for the rest of the phase —
 * the figure then measured that start, not the flood (docs/perf-log/). The relay has no
 * batch, so no start can split anything there.
 */
const flatOut = (server: NodeProcess, pairs: Pair[], profile: boolean) =>
  measure(
    server,
    pairs,
    'flat out',
    (_pair, i, sendOne) => {
      let stopped = false;
      const loop = async () => {
        while (!stopped) await sendOne();
      };
      const start = setTimeout(
        () => {
          for (let w = 0; w < WINDOW; w++) void loop();
        },
        (i / pairs.length) * RAMP_MS,
      );
      return () => {
        stopped = true;
        clearTimeout(start);
      };
    },
    profile,
  );

type Auths = Parameters<typeof connectAll>[1];

/** Connects WARM_UP sessions, has each client send one message and hear it back, and closes them. */
async function warmUp(url: string, auths: Auths, ready: string) {
  const pairs = await connectAll(url, auths, ready);
  await Promise.all(
    pairs.map(
      ({ client }, i) =>
        new Promise<void>((resolve) => {
          client.once('chat:messages', () => resolve());
          client.emit('chat:send', {
            clientMsgId: `warm-${i}`,
            text: `${performance.now()} warm-up`,
          });
        }),
    ),
  );
  for (const p of pairs) {
    p.client.close();
    p.expert.close();
  }
  await new Promise((r) => setTimeout(r, 1000));
}

/** Warms a server up, connects every session's two sides and reads the memory they take. */
async function connectMeasured(
  server: NodeProcess,
  warm: Auths,
  auths: Auths,
  ready: string,
  snapshots: boolean,
) {
  await warmUp(server.url, warm, ready);
  const snapshot = async () =>
    SNAPSHOTS && snapshots && (await signalled(server, 'SIGHUP', 'snapped'));
  const before = await settledMemory(server);
  await snapshot();
  const half = await connectAll(server.url, auths.slice(0, auths.length / 2), ready);
  const mid = await settledMemory(server);
  await snapshot();
  const pairs = [...half, ...(await connectAll(server.url, auths.slice(auths.length / 2), ready))];
  const after = await settledMemory(server);
  await snapshot();
  const perParticipant = (from: Memory, to: Memory, sessions: number): Memory => {
    const per = (x: number, y: number) => (y - x) / (2 * sessions);
    return {
      rss: per(from.rss, to.rss),
      young: per(from.young, to.young),
      heap: per(from.heap, to.heap),
      compacted: {
        rss: per(from.compacted.rss, to.compacted.rss),
        young: per(from.compacted.young, to.compacted.young),
        old: per(from.compacted.old, to.compacted.old),
      },
    };
  };
  return {
    pairs,
    memory: {
      all: perParticipant(before, after, pairs.length),
      secondHalf: perParticipant(mid, after, pairs.length - half.length),
    },
  };
}

/** A server under test, running, with the handshakes of its warm-up and measured sessions. */
interface Contender {
  server: NodeProcess;
  warm: Auths;
  auths: Auths;
  /** The event that says a socket is connected and registered. */
  ready: string;
  stop(): Promise<void>;
}

async function bare(sessions: number): Promise<Contender> {
  const server = await withGc({}, 'bare relay', 'bench/realtime/bare-relay.ts');
  const auths = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => ({
      client: { room: `${prefix}${i}` },
      expert: { room: `${prefix}${i}` },
    }));
  return {
    server,
    warm: auths(WARM_UP, 'w'),
    auths: auths(sessions, 'r'),
    ready: 'connect',
    stop: () => server.stop(),
  };
}

async function hourglass(sessions: number): Promise<Contender> {
  const name = `hg_bench_rt_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(base!, name);
  const database = connectPostgres(url, 16);
  let server: NodeProcess | undefined;
  const stop = async () => {
    await server?.stop();
    await database.close();
    await dropDatabase(base!, name);
  };
  try {
    await migrate(database.db);
    const config = loadConfig({
      DATABASE_URL: url,
      ROLES: 'api',
      LOG_LEVEL: 'silent',
      DEMO_SEED: 'false',
    });
    const { deps } = await buildApp({ config, database, clock: databaseClock, ids: randomIds });
    const auths: Auths = new Array(sessions + WARM_UP);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < auths.length) {
          const i = next++;
          // Credit for far longer than the run: billing sweeps charge every minute meanwhile.
          const s = await buildSession(deps, { type: 'chat', credit: 1_000_000 });
          auths[i] = {
            client: { token: s.links.client.token },
            expert: { token: s.links.expert.token },
          };
        }
      }),
    );
    // The per-connection rate limit (20 messages/s by default) is a policy, not a capacity:
    // flat out at 500 sessions each client would send more than that, be refused, and stop.
    server = await withGc(
      { DATABASE_URL: url, REALTIME_RATE_PER_S: '10000', REALTIME_BURST: '10000' },
      'hourglass',
      'server/src/main.ts',
    );
    return {
      server,
      warm: auths.slice(sessions),
      auths: auths.slice(0, sessions),
      ready: 'session:state',
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What run.ts asks; each is answered with one message: the result, or `{ error }`. */
export type Command =
  | { do: 'connect'; snapshots: boolean }
  | { do: 'paced' }
  | { do: 'flatOut'; profile: boolean }
  | { do: 'stop' };

const [kind, size] = process.argv.slice(2);
const contender = kind === 'bare' ? await bare(Number(size)) : await hourglass(Number(size));
let pairs: Pair[] = [];
async function run(command: Command): Promise<unknown> {
  switch (command.do) {
    case 'connect': {
      const connected = await connectMeasured(
        contender.server,
        contender.warm,
        contender.auths,
        contender.ready,
        command.snapshots,
      );
      pairs = connected.pairs;
      return connected.memory;
    }
    case 'paced':
      return paced(contender.server, pairs);
    case 'flatOut':
      return flatOut(contender.server, pairs, command.profile);
    case 'stop':
      for (const p of pairs) {
        p.client.close();
        p.expert.close();
      }
      await contender.stop();
      return {};
  }
}
process.on('message', (command: Command) => {
  run(command).then(
    (result) => process.send!(result),
    (err: unknown) => process.send!({ error: err instanceof Error ? err.stack : String(err) }),
  );
});
// run.ts disconnects once this server is stopped (or when it fails itself): nothing is left to do.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
