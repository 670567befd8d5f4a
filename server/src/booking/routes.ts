import { endpoints } from '@hourglass/protocol';
import type { Deps } from '../platform/context.ts';
import type { makeRouter } from '../platform/router.ts';
import { bookSlot, reschedule } from './book.ts';
import { answerRequest, requestSession } from './requests.ts';
import * as booking from './schedule.ts';

export function bookingRoutes(route: ReturnType<typeof makeRouter>, deps: Deps): void {
  route(endpoints.availability, ({ params, query }) =>
    booking.availability(deps, params.id, query),
  );
  route(endpoints.getSchedule, ({ principal, params }) =>
    booking.getSchedule(deps, principal, params.id),
  );
  route(endpoints.putSchedule, ({ principal, params, body }) =>
    booking.putSchedule(deps, principal, params.id, body),
  );
  route(endpoints.createSlot, ({ principal, params, body }) =>
    booking.createSlot(deps, principal, params.id, body),
  );
  route(endpoints.createBooking, ({ principal, body }) => bookSlot(deps, principal, body));
  route(endpoints.requestSession, ({ principal, body }) => requestSession(deps, principal, body));
  route(endpoints.acceptRequest, ({ principal, params }) =>
    answerRequest(deps, principal, params.id, 'accept'),
  );
  route(endpoints.declineRequest, ({ principal, params }) =>
    answerRequest(deps, principal, params.id, 'decline'),
  );
  route(endpoints.reschedule, ({ principal, params, body }) =>
    reschedule(deps, principal, params.id, body),
  );
  route(endpoints.deleteSlot, async ({ principal, params }) => {
    await booking.deleteSlot(deps, principal, params.id, params.slotId);
    return null;
  });
}
