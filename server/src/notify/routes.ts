import { endpoints } from '@hourglass/protocol';
import type { Deps } from '../platform/context.ts';
import type { makeRouter } from '../platform/router.ts';
import { listNotifications, markRead } from './notifications.ts';
import {
  createSubscription,
  disableSubscription,
  listDeliveries,
  listSubscriptions,
  retryDelivery,
} from './webhooks.ts';

export function notifyRoutes(route: ReturnType<typeof makeRouter>, deps: Deps): void {
  route(endpoints.listNotifications, ({ principal, query }) =>
    listNotifications(deps, principal, query),
  );
  route(endpoints.markNotificationsRead, ({ principal, body }) => markRead(deps, principal, body));
  route(endpoints.createWebhook, ({ principal, body }) =>
    createSubscription(deps, principal, body),
  );
  route(endpoints.listWebhooks, ({ principal, query }) =>
    listSubscriptions(deps, principal, query),
  );
  route(endpoints.webhookDeliveries, ({ principal, params, query }) =>
    listDeliveries(deps, principal, params.id, query),
  );
  route(endpoints.retryDelivery, ({ principal, params }) =>
    retryDelivery(deps, principal, params.id),
  );
  route(endpoints.disableWebhook, async ({ principal, params }) => {
    await disableSubscription(deps, principal, params.id);
    return null;
  });
}
