/**
 * How bench/realtime reads a server's memory: runs the server script named in BENCH_SERVER
 * (started with NODE_OPTIONS=--expose-gc) and, on SIGUSR2, collects garbage fully and logs
 * `collected` with process.memoryUsage() and `young`, the resident bytes of V8's young
 * generation (new space and its large objects), which a full collection leaves empty: its size
 * is V8's answer to the allocation rate so far, not anything live. The RSS read after that is
 * what the connections hold, not whatever garbage V8 had not yet collected — which moved single
 * readings by ±30 % between runs. With BENCH_SNAPSHOTS set to a folder, SIGHUP writes a heap snapshot there
 * (`<BENCH_LABEL>-<n>.heapsnapshot`) and logs `snapped`: bench/realtime/heap-diff.ts compares them.
 * With BENCH_PROFILES set to a folder, SIGWINCH starts V8's sampling CPU profiler and the next
 * SIGWINCH writes `<BENCH_LABEL>.cpuprofile` there (open it in Chrome's DevTools) and logs `profiled`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const g = globalThis as { gc?: () => void };
if (!g.gc) throw new Error('start with NODE_OPTIONS=--expose-gc');
let collections = 0;
process.on('SIGUSR2', () => {
  g.gc!();
  const young = getHeapSpaceStatistics()
    .filter((x) => x.space_name === 'new_space' || x.space_name === 'new_large_object_space')
    .reduce((sum, x) => sum + x.physical_space_size, 0);
  console.log(JSON.stringify({ msg: 'collected', n: ++collections, ...process.memoryUsage(), young }));
});
let snapshots = 0;
process.on('SIGHUP', () => {
  g.gc!();
  const file = writeHeapSnapshot(`${process.env.BENCH_SNAPSHOTS}/${process.env.BENCH_LABEL}-${++snapshots}.heapsnapshot`);
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
  writeFileSync(`${process.env.BENCH_PROFILES}/${process.env.BENCH_LABEL}.cpuprofile`, JSON.stringify(profile));
  console.log(JSON.stringify({ msg: 'profiled', gcs }));
});
await import(new URL(`../../${process.env.BENCH_SERVER}`, import.meta.url).href);
