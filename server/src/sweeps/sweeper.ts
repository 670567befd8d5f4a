import type { Deps } from '../platform/context.ts';
import { billingTick, escrowReleaseTick } from './billing.ts';
import { absenceTick, nodeExpiryTick } from './presence.ts';
import { staleUploadTick } from '../files/service.ts';
import { deliverWebhooksTick } from '../notify/delivery.ts';
import { refundTick } from '../payments/refunds.ts';
import { deadlineTick, noShowTick, paymentDueTick, requestExpiryTick } from './schedule.ts';

/**
 * The sweeper role: two loops, each running its pass, then waiting SWEEP_INTERVAL_MS, until
 * stopped — the sweeps, and the webhook dispatcher apart from them, so that a slow receiver
 * never holds up a billing minute or a deadline. A pass that throws is logged and counted; the
 * next one tries again. `stop()` waits for the passes in flight.
 */
export function startSweeper(deps: Deps): { stop(): Promise<void> } {
  const loops = [
    every(deps, 'sweeps', async () => {
      const result = await runSweeps(deps);
      deps.log.debug(result, 'sweep pass');
      deps.metrics.sweepLastSuccess.set(Date.now() / 1000);
    }),
    every(deps, 'webhooks', () => drainWebhooks(deps)),
  ];
  return { stop: async () => void (await Promise.all(loops.map((l) => l.stop()))) };
}

function every(deps: Deps, name: string, pass: () => Promise<unknown>) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const once = async () => {
    try {
      await pass();
      deps.metrics.sweepRuns.inc({ outcome: 'ok' });
    } catch (err) {
      deps.metrics.sweepRuns.inc({ outcome: 'error' });
      deps.log.error({ err, loop: name }, 'sweep pass failed');
    }
  };
  const loop = () => {
    if (stopped) return;
    running = once().then(() => {
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

/** Webhook passes until one finds less than a full batch due. */
export async function drainWebhooks(deps: Deps, batch = 20) {
  for (;;) {
    const { delivered, failed } = await deliverWebhooksTick(deps, batch);
    if (delivered + failed < batch) return;
  }
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
    staleUploads: await staleUploadTick(deps),
  };
}
