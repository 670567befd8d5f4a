import { endpoints } from '@hourglass/protocol';
import type { Deps } from '../platform/context.ts';
import type { makeRouter } from '../platform/router.ts';
import { iceServersFor } from './ice.ts';

export function realtimeRoutes(route: ReturnType<typeof makeRouter>, deps: Deps): void {
  route(endpoints.iceServers, ({ principal, params }) => iceServersFor(deps, principal, params.id));
}
