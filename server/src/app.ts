import fastifyCookie from '@fastify/cookie';
import { join } from 'node:path';
import { billingRoutes } from './billing/routes.ts';
import { bookingRoutes } from './booking/routes.ts';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/connect.ts';
import { adminRoutes } from './admin/routes.ts';
import { fileRoutes } from './files/routes.ts';
import { localStorage } from './files/local-storage.ts';
import { hostJwtVerifier } from './people/host-jwt.ts';
import { s3Storage } from './files/s3-storage.ts';
import { filesDir } from './files/storage.ts';
import { notifyRecorder } from './notify/record.ts';
import { notifyRoutes } from './notify/routes.ts';
import { peopleRoutes } from './people/routes.ts';
import { makeAuthenticate } from './people/authenticate.ts';
import type { Clock } from './platform/clock.ts';
import type { Deps } from './platform/context.ts';
import { DomainEvents } from './platform/events.ts';
import { Faults } from './platform/faults.ts';
import { createHttp } from './platform/http.ts';
import type { Ids } from './platform/ids.ts';
import { createMetrics } from './platform/metrics.ts';
import { opsRoutes } from './platform/ops-routes.ts';
import { localProvider } from './payments/provider.ts';
import { stripeWebhookRoutes } from './payments/stripe-webhook.ts';
import { payBooking } from './booking/payment.ts';
import { payExtension } from './sessions/extensions.ts';
import { makeRouter } from './platform/router.ts';
import { webRoutes } from './platform/web-routes.ts';
import { attachGateway } from './realtime/gateway.ts';
import type { Io } from './realtime/io.ts';
import { realtimeRoutes } from './realtime/routes.ts';
import { sessionRoutes } from './sessions/routes.ts';

export interface AppOptions {
  config: Config;
  database: DatabaseHandle;
  clock: Clock;
  ids: Ids;
  events?: DomainEvents;
}

/** The api role (every HTTP route) and the realtime role (the gateway), on a Fastify instance not yet listening. */
/** The server; `io` is the realtime gateway when this process has the realtime role. */
export async function buildApp(
  opts: AppOptions,
): Promise<{ app: FastifyInstance; deps: Deps; io?: Io }> {
  const metrics = createMetrics();
  const app = createHttp(opts.config, metrics);
  const deps: Deps = {
    db: opts.database.db,
    dbKind: opts.database.kind,
    clock: opts.clock,
    ids: opts.ids,
    config: opts.config,
    log: app.log,
    metrics,
    events: opts.events ?? new DomainEvents(),
    storage:
      opts.config.FILE_STORAGE === 's3'
        ? s3Storage(opts.config)
        : localStorage(join(filesDir(opts.config), 'objects')),
    faults: new Faults(opts.config.FAULTS),
    // Stripe's SDK is loaded only where it is used.
    payments:
      opts.config.PAYMENT_PROVIDER === 'stripe'
        ? (await import('./payments/stripe-provider.ts')).stripeProvider(opts.config)
        : localProvider,
    hostJwt: hostJwtVerifier(opts.config),
    fulfilments: {
      booking: (tx, sessionId, payment) => payBooking(deps, tx, sessionId, payment),
      extension: (tx, extensionId, payment) => payExtension(deps, tx, extensionId, payment),
    },
  };
  if (deps.faults.any)
    app.log.warn(
      { faults: opts.config.FAULTS },
      'FAULTS is set: this process will kill itself at the named points (tests only)',
    );
  // Every outbox records its notifications and webhook deliveries in its own transaction.
  deps.events.setRecorder(notifyRecorder(deps.ids));
  await app.register(fastifyCookie);
  const route = makeRouter(app, makeAuthenticate(deps));
  peopleRoutes(route, deps);
  sessionRoutes(route, deps);
  billingRoutes(route, deps);
  bookingRoutes(route, deps);
  realtimeRoutes(route, deps);
  notifyRoutes(route, deps);
  adminRoutes(route, deps);
  await fileRoutes(app, route, deps);
  stripeWebhookRoutes(app, deps);
  await opsRoutes(app, deps, metrics);
  await webRoutes(app);
  const io = opts.config.ROLES.includes('realtime') ? await attachGateway(app, deps) : undefined;
  // Loaded only where needed: a node without the gateway but with Redis (a sweeper, say).
  if (!io && opts.config.REDIS_URL)
    await (await import('./realtime/emitter.ts')).attachEmitter(app, deps, opts.config.REDIS_URL);
  return { app, deps, ...(io && { io }) };
}
