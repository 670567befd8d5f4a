/**
 * bench/realtime — chat through the Hourglass gateway beside a bare Socket.IO relay
 * (bench/realtime/bare-relay.ts: no auth, no persistence), same machine, the same driver code.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:realtime -- [--sessions 500,2000,5000] [--seconds 10] [--interval-ms 2000] [--window 4] [--settle 10] [--rounds 3] [--connect-concurrency 50] [--snapshots DIR] [--profiles DIR]
 *
 * For each size, --rounds rounds: in each, each server runs in a fresh process of its own
 * (Hourglass: `npm start`'s entry point on a fresh PostgreSQL database, all roles, so billing
 * sweeps run meanwhile), both at once, and each has its own driver process (contender.ts,
 * forked by this one): two socket.io-clients per session (client and expert, WebSocket
 * transport). Each is connected and its memory read in turn, then (first round only) paced,
 * then flat out, the two servers alternating (the idle one meanwhile only answers its sockets'
 * heartbeats). Flat-out and memory figures are medians over the rounds. This process only
 * orders the phases and prints the figures.
 *
 * Measured per server:
 * - RSS per connected participant: the server's RSS with every participant connected, minus
 *   before, over the participant count, and the same over the second half of the connections
 *   (read also with half connected). Each reading is taken after the server has been left alone
 *   for --settle seconds and then fully garbage-collected (both servers run under with-gc.ts):
 *   read at once after a connection storm, the RSS still holds pages V8 gives back within
 *   seconds. "Before" is a warmed-up server (a few sessions connected, chatted and closed
 *   first, so that code first run by a connection is not counted as the connections' memory).
 *   The second half says what a participant adds once the slack a server had before is used
 *   up: Hourglass's start (migrations, building the app) leaves more of it, which its first
 *   connections fill without growing the RSS. Of the RSS, the part that is V8's young
 *   generation is printed apart, and the ratio is of the RSS outside it: after a full
 *   collection the young generation holds nothing live, and its size is what V8 grew it to for
 *   the allocation rate so far — the relay grows it while its participants connect, Hourglass
 *   already while it starts, so counting it would charge that growth to the relay's
 *   connections. Each RSS is read 3 s after its collection, once V8 has unmapped what it freed;
 *   each reading is taken again after a collection that compacts every page ("compacted": what
 *   the live objects take, without the holes dead ones left in old space). Beside them the V8
 *   heap in use (heapUsed): what the connections' objects take, without the slack V8 keeps
 *   (docs/perf-log/). The compacted figure is also split into V8's spaces and the rest
 *   (malloc's, the stacks'): the rest is where the rounds' spread comes from, in both servers.
 *   The sessions connect --connect-concurrency handshakes at a time (50).
 *   The allocator can be changed for both servers alike: MALLOC_* and GLIBC_TUNABLES in this
 *   process's environment reach them, and BENCH_LD_PRELOAD becomes their LD_PRELOAD (e.g.
 *   /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 from Debian's libjemalloc2).
 *   With --snapshots DIR, each server of the first round also writes heap snapshots before, at
 *   half and with all participants connected (compare with bench/realtime/heap-diff.ts).
 *   With --profiles DIR, each server's CPU profile over the first round's flat-out phase is written there
 *   (the profiler costs the server ≈ 10 %: compare shares within a profile, not the figures),
 *   and its garbage collections in the window are printed; with --snapshots as well, a fourth
 *   snapshot is taken at the end of the window, while the flood is still in flight.
 *   BENCH_NODE_OPTIONS adds Node options to both servers (e.g. --max-semi-space-size=64).
 *   BENCH_MEMORY_LOG=1 prints every memory reading with the size of each V8 space (the RSS
 *   outside them all is what malloc and the code hold) and, in `compacted`, the RSS split into
 *   anonymous pages (`anon`) and mapped files (`file`: node's own code).
 *   BENCH_HEAPTRACK=DIR runs both servers under heaptrack's preload library (Debian's path),
 *   each writing DIR/<server>.raw: `/usr/lib/heaptrack/libexec/heaptrack_interpret < F.raw | gzip > F.gz`, then
 *   `heaptrack_print -f F.gz` (malloc's live and peak bytes by call stack).
 * - paced: every session's client sends one message every --interval-ms (a lively chat); the
 *   messages delivered per second and the delivery latency (send → the expert's socket) p50/p99.
 * - flat out: every session's client keeps --window messages unanswered, sending the next as
 *   soon as one is answered — its own copy back in `chat:messages`, which Hourglass sends only
 *   once the message is committed — so throughput is bound by the server, not by round trips;
 *   the sessions start one after another over the first second of the 2 s warm-up (as paced
 *   spreads them over its interval; all in one tick, the start split sessions' bursts for the
 *   whole phase); the same figures, each the median over the rounds, and each round's ratio.
 * Ratios are Hourglass / bare relay. Each round's figures are also written to stderr as JSON when
 * the round ends (with the messages delivered in each half of the window), so a run cut short
 * keeps what it measured. For the flat-out phase it also prints where the CPU went:
 * each process's CPU time over the counted window (/proc/<pid>/stat; PostgreSQL: all its
 * processes) per delivered message, and how many messages a `chat:messages` frame carried —
 * over the window and over each of its halves — Hourglass puts a batch's messages of a session
 * in one frame, and how many that is decides much of its cost; a flood's start splits sessions'
 * bursts, which mend only by chance, so the first half can carry fewer (docs/perf-log/).
 * Each counted window's wall-clock start is printed (`counted window from …`), to set beside
 * PostgreSQL's log (checkpoints were a suspect for the low rounds at 5,000 sessions; on
 * 2026-12-02 low rounds fell where no checkpoint did).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { median } from '../median.ts';
import type { Command } from './contender.ts';
import {
  PROFILES,
  ROUNDS,
  SECONDS,
  INTERVAL_MS,
  SETTLE_MS,
  SIZES,
  WINDOW,
  type Figures,
  type Memory,
} from './options.ts';

/** A contender process (contender.ts) for one server at one size, answering one command at a time. */
async function startContender(kind: 'bare' | 'hourglass', sessions: number) {
  const child = fork(fileURLToPath(new URL('contender.ts', import.meta.url)), [
    kind,
    String(sessions),
    ...process.argv.slice(2),
  ]);
  const exited = once(child, 'exit');
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`the ${kind} contender exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (m: { error?: string }) => {
        child.off('exit', onExit);
        if (m.error) reject(new Error(`${kind}: ${m.error}`));
        else resolve(m);
      });
    });
  await next();
  return {
    ask: <T>(command: Command) => {
      const answer = next();
      child.send(command);
      return answer as Promise<T>;
    },
    /** Stops its server (and drops Hourglass's database) and waits for the process to end. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await this.ask({ do: 'stop' }).catch(() => child.kill('SIGKILL'));
      child.disconnect();
      await exited;
    },
  };
}

type Both = { all: Memory; secondHalf: Memory };
/** One round at one size: what each server's memory and flat-out phase gave, and its paced phase in the first round. */
interface Round {
  memory: { bare: Both; hourglass: Both };
  flatOut: { bare: Figures; hourglass: Figures };
  paced?: { bare: Figures; hourglass: Figures };
}

/**
 * One round at one size: both servers started afresh, each with its own contender process; each
 * connected and its memory read in turn; in the first round the paced phase on each; then the
 * flat-out phase on each. A round per pair of fresh processes, because a server's memory is a
 * reading of one process's history (when V8 grew which space, what glibc kept): the same code
 * read 0.99× and 1.22× in two runs, so one process pair gives one sample, and the figures are
 * medians over --rounds of them. The flat-out phases alternate with the rounds, so what the
 * machine does meanwhile falls on both (single flat-out runs moved ±25 % between runs).
 */
async function runRound(sessions: number, first: boolean): Promise<Round> {
  const b = await startContender('bare', sessions);
  try {
    const h = await startContender('hourglass', sessions);
    try {
      // Heap snapshots, the profile and the in-flight snapshot come from the first round's servers
      // only: later ones would overwrite them (the files are named by server, not by round).
      const connect = { do: 'connect', snapshots: first } as const;
      const memory = { bare: await b.ask<Both>(connect), hourglass: await h.ask<Both>(connect) };
      const paced = first
        ? {
            bare: await b.ask<Figures>({ do: 'paced' }),
            hourglass: await h.ask<Figures>({ do: 'paced' }),
          }
        : undefined;
      const profile = PROFILES !== undefined && first;
      const flatOut = {
        bare: await b.ask<Figures>({ do: 'flatOut', profile }),
        hourglass: await h.ask<Figures>({ do: 'flatOut', profile }),
      };
      return { memory, flatOut, ...(paced ? { paced } : {}) };
    } finally {
      await h.stop();
    }
  } finally {
    await b.stop();
  }
}

async function runSize(sessions: number) {
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = await runRound(sessions, r === 0);
    rounds.push(round);
    // Its figures as they came, so that a run cut short (or a report that fails) keeps them.
    console.error(
      `[bench/realtime] ${sessions} sessions: round ${r + 1} of ${ROUNDS} done: ${JSON.stringify(round)}`,
    );
  }
  return rounds;
}

/** The median of the rounds where a figure could be measured; null if none. */
function medianOfMeasured(xs: (number | null)[]): number | null {
  const measured = xs.filter((x): x is number => x !== null);
  return measured.length ? median(measured) : null;
}

/** Every figure's median over the rounds. */
const medianFigures = (fs: Figures[]): Figures => ({
  perSecond: median(fs.map((f) => f.perSecond)),
  windowS: median(fs.map((f) => f.windowS)),
  p50: median(fs.map((f) => f.p50)),
  p99: median(fs.map((f) => f.p99)),
  perFrame: median(fs.map((f) => f.perFrame)),
  deliveredHalves: [
    median(fs.map((f) => f.deliveredHalves[0])),
    median(fs.map((f) => f.deliveredHalves[1])),
  ],
  perFrameHalves: [
    medianOfMeasured(fs.map((f) => f.perFrameHalves[0])),
    medianOfMeasured(fs.map((f) => f.perFrameHalves[1])),
  ],
  cpu: {
    server: median(fs.map((f) => f.cpu.server)),
    driver: median(fs.map((f) => f.cpu.driver)),
    postgres: median(fs.map((f) => f.cpu.postgres)),
  },
});

const outside = (m: Memory) => m.rss - m.young;
const compactedOutside = (m: Memory) => m.compacted.rss - m.compacted.young;
/** Of the compacted RSS outside the young generation, what is not V8's: malloc's, the stacks', mapped files'. */
const compactedRest = (m: Memory) => compactedOutside(m) - m.compacted.old;
/** Each memory figure's median over the rounds; the RSS outside the young generation as the median of each round's. */
const medianMemory = (ms: Memory[]) => ({
  rss: median(ms.map((m) => m.rss)),
  young: median(ms.map((m) => m.young)),
  outside: median(ms.map(outside)),
  compacted: median(ms.map(compactedOutside)),
  old: median(ms.map((m) => m.compacted.old)),
  rest: median(ms.map(compactedRest)),
  heap: median(ms.map((m) => m.heap)),
});

/** A figure for the tables; one that could not be measured (null: a half of the window with no frame) as a dash. */
const fmt = (n: number | null, digits = 0) =>
  n === null || !Number.isFinite(n)
    ? '–'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (sessions: number, what: string, b: Figures, h: Figures) =>
  `| ${fmt(sessions)} | ${what} | ${fmt(b.perSecond)} | ${fmt(h.perSecond)} | **${fmt(h.perSecond / b.perSecond, 2)}×** | ${fmt(b.p50, 1)} / ${fmt(b.p99, 1)} | ${fmt(h.p50, 1)} / ${fmt(h.p99, 1)} |`;

const lines = [
  `bench/realtime: ${SECONDS} s per phase, paced at one message per session every ${INTERVAL_MS} ms, flat out with ${WINDOW} unacknowledged per session`,
  `in ${ROUNDS} rounds, each on both servers started afresh (paced: the first round; flat out and memory: each figure the median over the rounds;`,
  "each round's ratios below)",
  '',
  '| sessions | load | bare msgs/s | Hourglass msgs/s | ratio | bare p50 / p99 ms | Hourglass p50 / p99 ms |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
const cpu: string[] = [
  '',
  'Flat out, CPU µs per delivered message (each process over the counted window), messages per frame (over the window; its first half, second half)',
  "and the window as it ran (the driver's timers fire late when it is saturated),",
  'medians over the rounds:',
  '',
  '| sessions | server | msgs / frame | server µs | PostgreSQL µs | driver µs | total µs | window s |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
];
const cpuRow = (sessions: number, who: string, f: Figures) =>
  `| ${fmt(sessions)} | ${who} | ${fmt(f.perFrame, 2)} (${f.perFrameHalves.map((x) => fmt(x, 2)).join(', ')}) | ${fmt(f.cpu.server)} | ${fmt(f.cpu.postgres)} | ${fmt(f.cpu.driver)} | ${fmt(f.cpu.server + f.cpu.postgres + f.cpu.driver)} | ${fmt(f.windowS, 1)} |`;
const memory: string[] = [
  '',
  `Memory per connected participant, KiB, each read after ${SETTLE_MS / 1000} s alone and a full collection, medians over the rounds: RSS, of it`,
  'the young generation (nothing live in it), the RSS outside it, the same after a collection that compacts every page',
  '(what the live objects take, without the holes dead ones left), and the V8 heap in use; bare / Hourglass; over all the',
  "connections, and over their second half (what a participant adds once the server's earlier slack is used up):",
  '',
  '| sessions | connections | RSS | young generation | RSS outside it | ratio | compacted, outside it | ratio | heap in use | ratio |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
const split: string[] = [
  '',
  "The compacted RSS outside the young generation, split (KiB per participant, bare / Hourglass, medians over the rounds): V8's",
  'other spaces (old generation, code, large objects: what the objects take, much the same from run to run), and the rest',
  "(malloc's, the stacks': what the allocator kept, which moves by up to ±1 KiB between rounds in either server):",
  '',
  '| sessions | connections | V8 outside the young generation | ratio | the rest | Hourglass − bare |',
  '| --- | --- | --- | --- | --- | --- |',
];
const roundRatios: string[] = [
  '',
  "Each round's ratios (Hourglass / bare): flat-out msgs/s; RSS outside the young generation, all / second half, as left and compacted:",
  '',
];
/** The connections each memory figure is taken over, and their label in the report. */
const HALVES = [
  ['all', 'all'],
  ['secondHalf', 'second half'],
] as const;
const ratios = (xs: number[]) =>
  `${xs.map((x) => `${fmt(x, 2)}×`).join(', ')} (median ${fmt(median(xs), 2)}×)`;
for (const sessions of SIZES) {
  const rounds = await runSize(sessions);
  const p = rounds[0]!.paced!;
  const [fb, fh] = [
    medianFigures(rounds.map((r) => r.flatOut.bare)),
    medianFigures(rounds.map((r) => r.flatOut.hourglass)),
  ];
  lines.push(row(sessions, 'paced', p.bare, p.hourglass), row(sessions, 'flat out', fb, fh));
  cpu.push(cpuRow(sessions, 'bare relay', fb), cpuRow(sessions, 'Hourglass', fh));
  /** Each round's Hourglass / bare ratio of one memory figure, over all connections and over the second half. */
  const memoryRatios = (figure: (m: Memory) => number) =>
    HALVES.map(([which]) =>
      ratios(rounds.map((r) => figure(r.memory.hourglass[which]) / figure(r.memory.bare[which]))),
    );
  /** Each round's rest (compactedRest), bare / Hourglass, over all connections and over the second half. */
  const rests = HALVES.map(
    ([which, label]) =>
      `${label} ${rounds.map((r) => `${fmt(compactedRest(r.memory.bare[which]), 2)} / ${fmt(compactedRest(r.memory.hourglass[which]), 2)}`).join(', ')}`,
  );
  roundRatios.push(
    `- ${fmt(sessions)} sessions, flat out: ${ratios(rounds.map((r) => r.flatOut.hourglass.perSecond / r.flatOut.bare.perSecond))}`,
    `- ${fmt(sessions)} sessions, RSS outside the young generation: all ${memoryRatios(outside).join('; second half ')}`,
    `- ${fmt(sessions)} sessions, the same compacted: all ${memoryRatios(compactedOutside).join('; second half ')}`,
    `- ${fmt(sessions)} sessions, of it V8's spaces: all ${memoryRatios((m) => m.compacted.old).join('; second half ')}`,
    `- ${fmt(sessions)} sessions, of it the rest, KiB bare / Hourglass: ${rests.join('; ')}`,
  );
  const pair = (x: number, y: number) => `${fmt(x, 1)} / ${fmt(y, 1)}`;
  const ratio = (x: number, y: number) => `${pair(x, y)} | **${fmt(y / x, 2)}×**`;
  for (const [which, label] of HALVES) {
    const [bm, hm] = [
      medianMemory(rounds.map((r) => r.memory.bare[which])),
      medianMemory(rounds.map((r) => r.memory.hourglass[which])),
    ];
    memory.push(
      `| ${fmt(sessions)} | ${label} | ${pair(bm.rss, hm.rss)} | ${pair(bm.young, hm.young)} | ${ratio(bm.outside, hm.outside)} | ${ratio(bm.compacted, hm.compacted)} | ${ratio(bm.heap, hm.heap)} |`,
    );
    split.push(
      `| ${fmt(sessions)} | ${label} | ${ratio(bm.old, hm.old)} | ${pair(bm.rest, hm.rest)} | ${fmt(hm.rest - bm.rest, 2)} |`,
    );
  }
}
console.log([...lines, ...roundRatios, ...cpu, ...memory, ...split].join('\n'));
process.exit(0);
