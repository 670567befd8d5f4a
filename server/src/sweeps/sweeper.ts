import type { Deps } from '../platform/context.ts';
import { runSweeps } from './billing.ts';

/**
 * The sweeper role: runs every sweep, then waits SWEEP_INTERVAL_MS, until stopped. A pass that
 * throws is logged and counted; the next one tries again. `stop()` waits for a pass in flight.
 */
export function startSweeper(deps: Deps): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    try {
      const result = await runSweeps(deps);
      deps.log.debug(result, 'sweep pass');
      deps.metrics.sweepRuns.inc({ outcome: 'ok' });
      deps.metrics.sweepLastSuccess.set(Date.now() / 1000);
    } catch (err) {
      deps.metrics.sweepRuns.inc({ outcome: 'error' });
      deps.log.error({ err }, 'sweep pass failed');
    }
  };
  const loop = () => {
    if (stopped) return;
    running = pass().then(() => {
      if (!stopped) timer = setTimeout(loop, deps.config.SWEEP_INTERVAL_MS);
    });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
