/**
 * bench/realtime's flags (run.ts documents them), read by the orchestrator and by each
 * contender process it forks (which get the same flags), and the shapes they exchange.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    sessions: { type: 'string', default: '500,2000,5000' },
    seconds: { type: 'string', default: '10' },
    'interval-ms': { type: 'string', default: '2000' },
    window: { type: 'string', default: '4' },
    settle: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    snapshots: { type: 'string' },
    profiles: { type: 'string' },
    'connect-concurrency': { type: 'string', default: '50' },
  },
});
export const SIZES = values.sessions.split(',').map(Number);
export const SECONDS = Number(values.seconds);
export const INTERVAL_MS = Number(values['interval-ms']);
export const WINDOW = Number(values.window);
export const SETTLE_MS = Number(values.settle) * 1000;
export const ROUNDS = Number(values.rounds);
export const SNAPSHOTS = values.snapshots;
export const PROFILES = values.profiles;
/** Handshakes in flight at once while the sessions connect. */
export const CONNECT_CONCURRENCY = Number(values['connect-concurrency']);
/** Sessions connected, chatted and closed before memory is first read. */
export const WARM_UP = 10;
export const base = process.env.TEST_DATABASE_URL;
if (!base)
  throw new Error(
    'Set TEST_DATABASE_URL to a PostgreSQL server (the bench creates and drops its own databases).',
  );

export interface Figures {
  perSecond: number;
  /** The counted window as it ran, s: longer than --seconds when this process's timers fire late (flat out at 5,000 sessions). */
  windowS: number;
  p50: number;
  p99: number;
  /** Messages per `chat:messages` frame the expert's socket received. */
  perFrame: number;
  /** The same over the counted window's first and second halves. */
  perFrameHalves: [number | null, number | null];
  /** Messages delivered in each half of the window: a stall shows as a half far below the other. */
  deliveredHalves: [number, number];
  /** CPU µs per delivered message: the server process, this driver, every PostgreSQL process. */
  cpu: { server: number; driver: number; postgres: number };
}
/** KiB per connected participant. */
export interface Memory {
  rss: number;
  /** Of `rss`, V8's young generation, which a full collection leaves with nothing live. */
  young: number;
  heap: number;
  /**
   * The RSS and young generation after a further collection that compacts every page
   * (with-gc.ts), and of that RSS V8's other spaces (`old`: old generation, code, large
   * objects); what is left is malloc's, the stacks' and mapped files'.
   */
  compacted: { rss: number; young: number; old: number };
}
