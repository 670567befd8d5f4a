import { endpoints } from '@hourglass/protocol';
import type { Deps } from '../platform/context.ts';
import type { makeRouter } from '../platform/router.ts';
import { adminEscrow, adminRefunds, adminSessions } from './views.ts';

export function adminRoutes(route: ReturnType<typeof makeRouter>, deps: Deps): void {
  route(endpoints.adminSessions, ({ principal, query }) => adminSessions(deps, principal, query));
  route(endpoints.adminEscrow, ({ principal, query }) => adminEscrow(deps, principal, query));
  route(endpoints.adminRefunds, ({ principal, query }) => adminRefunds(deps, principal, query));
}
