/**
 * How bench/realtime reads a server's memory: runs the server script named in BENCH_SERVER
 * (started with NODE_OPTIONS=--expose-gc) and, on SIGUSR2, collects garbage fully and logs
 * `collected` with process.memoryUsage() and `young`, the resident bytes of V8's young
 * generation (new space and its large objects), which a full collection leaves empty: its size
 * is V8's answer to the allocation rate so far, not anything live. The RSS read after that is
 * what the connections hold, not whatever garbage V8 had not yet collected — which moved single
 * readings by ±30 % between runs (the RSS read once V8 has unmapped the pages it freed). Then it
 * collects once more, compacting every page, and adds `compacted`: the RSS and the young generation
 * after that — what the live objects take without the holes dead ones left in old space, which
 * V8 compacts away when memory is short, not on a regular collection (docs/perf-log/).
 * Each space's size is logged too (`spaces`), and the compacted RSS split into anonymous
 * pages and mapped files (`anon`, `file`: the binary's code pages, which connections do not add
 * to). With BENCH_SNAPSHOTS set to a folder, SIGHUP writes a heap snapshot there
 * (`<BENCH_LABEL>-<n>.heapsnapshot`) and logs `snapped`: bench/realtime/heap-diff.ts compares them.
 * With BENCH_PROFILES set to a folder, SIGWINCH starts V8's sampling CPU profiler and the next
 * SIGWINCH writes `<BENCH_LABEL>.cpuprofile` there (open it in Chrome's DevTools) and logs `profiled`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';

const g = globalThis as { gc?: () => void };
if (!g.gc) throw new Error('start with NODE_OPTIONS=--expose-gc');
/** The resident bytes of each V8 heap space, and of the young generation (new space and its large objects). */
function spaces() {
  const bySpace = Object.fromEntries(
    getHeapSpaceStatistics().map((x) => [x.space_name, x.physical_space_size]),
  );
  return {
    young: (bySpace.new_space ?? 0) + (bySpace.new_large_object_space ?? 0),
    spaces: bySpace,
  };
}
/**
 * Pages a collection frees are unmapped by a V8 background task after it ends: the RSS is read
 * once that is done (read at once, one reading held 24 MiB of a just-shrunk young generation).
 */
const UNMAPPED_MS = 3000;
/** Of the RSS, the anonymous pages (the heap, malloc's, stacks) and the rest (mapped files: the binary's code). */
function resident() {
  const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
  const bytes = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)![1]) * 1024;
  const anon = bytes('Anonymous');
  return { anon, file: bytes('Rss') - anon };
}
let collections = 0;
const unmapped = () => new Promise((r) => setTimeout(r, UNMAPPED_MS));
process.on('SIGUSR2', async () => {
  g.gc!();
  // The heap as the collection left it; its RSS once unmapped (by then the server's timers
  // have allocated again, which heapUsed would count).
  const asLeft = { ...process.memoryUsage(), ...spaces() };
  await unmapped();
  asLeft.rss = process.memoryUsage().rss;
  // A collection that compacts every page with free space in it, as V8 does when memory is
  // short: the RSS after it is what the live objects take, without the holes earlier garbage
  // left in old space (the flag is set for this one collection only).
  setFlagsFromString('--compact-on-every-full-gc');
  g.gc!();
  setFlagsFromString('--no-compact-on-every-full-gc');
  await unmapped();
  const compacted = { rss: process.memoryUsage().rss, ...resident(), ...spaces() };
  console.log(JSON.stringify({ msg: 'collected', n: ++collections, ...asLeft, compacted }));
});
let snapshots = 0;
process.on('SIGHUP', () => {
  g.gc!();
  const file = writeHeapSnapshot(
    `${process.env.BENCH_SNAPSHOTS}/${process.env.BENCH_LABEL}-${++snapshots}.heapsnapshot`,
  );
  console.log(JSON.stringify({ msg: 'snapped', file }));
});
// Garbage collections while profiling: how many and how long, by kind.
const gcKinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
let gcs: Record<string, { count: number; ms: number }> = {};
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = gcKinds[(e as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
    const k = (gcs[kind] ??= { count: 0, ms: 0 });
    k.count++;
    k.ms += e.duration;
  }
});
let profiler: Session | undefined;
process.on('SIGWINCH', async () => {
  if (!profiler) {
    gcs = {};
    gcObserver.observe({ entryTypes: ['gc'] });
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return;
  }
  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  profiler = undefined;
  gcObserver.disconnect();
  // Made here: a write that throws in this handler would leave the bench waiting for 'profiled'.
  mkdirSync(process.env.BENCH_PROFILES!, { recursive: true });
  writeFileSync(
    `${process.env.BENCH_PROFILES}/${process.env.BENCH_LABEL}.cpuprofile`,
    JSON.stringify(profile),
  );
  console.log(JSON.stringify({ msg: 'profiled', gcs }));
});
await import(new URL(`../../${process.env.BENCH_SERVER}`, import.meta.url).href);
