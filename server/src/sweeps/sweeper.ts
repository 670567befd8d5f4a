import type { Deps } from '../platform/context.ts';
import { billingTick, escrowReleaseTick } from './billing.ts';
import { absenceTick, nodeExpiryTick } from './presence.ts';
import { refundTick } from '../payments/refunds.ts';
import { deadlineTick, noShowTick, paymentDueTick, requestExpiryTick } from './schedule.ts';

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

/** All sweeps, once. The sweeper role calls this on an interval; tests call it after moving the clock. */
export async function runSweeps(deps: Deps) {
  return {
    // Presence first: a clock that paused before its deadline or its next minute is not ended or charged.
    nodes: await nodeExpiryTick(deps),
    absence: await absenceTick(deps),
    deadline: await deadlineTick(deps),
    noShow: await noShowTick(deps),
    requests: await requestExpiryTick(deps),
    billing: await billingTick(deps),
    escrowRelease: await escrowReleaseTick(deps),
    paymentDue: await paymentDueTick(deps),
    refunds: await refundTick(deps),
  };
}
