import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app (tests build many apps in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hourglass_' });
  const httpRequests = new Counter({
    name: 'hourglass_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'hourglass_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const sessionTransitions = new Counter({
    name: 'hourglass_session_transitions_total',
    help: 'Session state changes by event and new state',
    labelNames: ['event', 'state'] as const,
    registers: [registry],
  });
  const sweepRows = new Counter({
    name: 'hourglass_sweep_rows_total',
    help: 'Rows claimed by each sweep',
    labelNames: ['sweep'] as const,
    registers: [registry],
  });
  const sweepRuns = new Counter({
    name: 'hourglass_sweep_runs_total',
    help: 'Sweep passes by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const sweepLastSuccess = new Gauge({
    name: 'hourglass_sweep_last_success_seconds',
    help: 'Unix time of the last sweep pass that completed without error',
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: 'hourglass_webhook_attempts_total',
    help: 'Outbound webhook delivery attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    webhookAttempts,
    httpRequests,
    httpDuration,
    sessionTransitions,
    sweepRows,
    sweepRuns,
    sweepLastSuccess,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
