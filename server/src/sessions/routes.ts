import { endpoints } from '@hourglass/protocol';
import type { Deps } from '../platform/context.ts';
import type { makeRouter } from '../platform/router.ts';
import { buyExtension } from './extensions.ts';
import { listMySessions } from './lists.ts';
import { getMyNotes, getSummary, putMyNotes, putSummary } from './notes.ts';
import { rateSession } from './ratings.ts';
import * as sessions from './service.ts';

export function sessionRoutes(route: ReturnType<typeof makeRouter>, deps: Deps): void {
  route(endpoints.createSession, ({ principal, body }) =>
    sessions.createSession(deps, principal, body),
  );
  route(endpoints.validateToken, ({ query }) => sessions.validateToken(deps, query.token));
  route(endpoints.getSession, ({ principal, params }) =>
    sessions.getSession(deps, principal, params.id),
  );
  route(endpoints.joinSession, ({ principal, params }) =>
    sessions.joinSession(deps, principal, params.id),
  );
  route(endpoints.endSession, ({ principal, params, body }) =>
    sessions.endSession(deps, principal, params.id, body.notes),
  );
  route(endpoints.cancelSession, ({ principal, params }) =>
    sessions.cancelSession(deps, principal, params.id),
  );
  route(endpoints.extendSession, ({ principal, params, body, idempotencyKey }) =>
    buyExtension(deps, principal, params.id, { input: body, key: idempotencyKey }),
  );
  route(endpoints.rateSession, ({ principal, params, body }) =>
    rateSession(deps, principal, params.id, body),
  );
  route(endpoints.getSummary, ({ principal, params }) => getSummary(deps, principal, params.id));
  route(endpoints.putSummary, ({ principal, params, body }) =>
    putSummary(deps, principal, params.id, body.text),
  );
  route(endpoints.getMyNotes, ({ principal, params }) => getMyNotes(deps, principal, params.id));
  route(endpoints.putMyNotes, ({ principal, params, body }) =>
    putMyNotes(deps, principal, params.id, body.text),
  );
  route(endpoints.sessionEvents, ({ principal, params }) =>
    sessions.listEvents(deps, principal, params.id),
  );
  route(endpoints.reissueTokens, ({ principal, params }) =>
    sessions.reissueTokens(deps, principal, params.id),
  );
  route(endpoints.mySessions, ({ principal, query }) => listMySessions(deps, principal, query));
  route(endpoints.myJoinLink, ({ principal, params }) =>
    sessions.myJoinLink(deps, principal, params.id),
  );
  route(endpoints.noShow, ({ principal, params, body }) =>
    sessions.markNoShow(deps, principal, params.id, body.absent),
  );
  route(endpoints.revokeToken, async ({ principal, params, body }) => {
    await sessions.revokeToken(deps, principal, params.id, body.role);
    return null;
  });
}
