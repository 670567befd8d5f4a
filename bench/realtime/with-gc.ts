/**
 * How bench/realtime reads a server's memory: runs the server script named in BENCH_SERVER
 * (started with NODE_OPTIONS=--expose-gc) and, on SIGUSR2, collects garbage fully and logs
 * `collected`. The RSS read after that is what the connections hold, not whatever garbage V8
 * had not yet collected — which moved single readings by ±30 % between runs.
 */
const g = globalThis as { gc?: () => void };
if (!g.gc) throw new Error('start with NODE_OPTIONS=--expose-gc');
let collections = 0;
process.on('SIGUSR2', () => {
  g.gc!();
  console.log(JSON.stringify({ msg: 'collected', n: ++collections }));
});
await import(new URL(`../../${process.env.BENCH_SERVER}`, import.meta.url).href);
