import { endpoints } from '@hourglass/protocol';
import type { FastifyReply } from 'fastify';
import type { Deps } from '../platform/context.ts';
import type { makeRouter } from '../platform/router.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from './authenticate.ts';
import * as people from './service.ts';

export function peopleRoutes(route: ReturnType<typeof makeRouter>, deps: Deps): void {
  const cookieOptions = (maxAgeS: number, httpOnly: boolean) => ({
    path: '/',
    httpOnly,
    sameSite: 'lax' as const,
    secure: deps.config.cookieSecure,
    maxAge: maxAgeS,
  });
  const setSignIn = (reply: FastifyReply, session: string, csrf: string) => {
    const maxAge = deps.config.AUTH_SESSION_DAYS * 86_400;
    void reply.setCookie(SESSION_COOKIE, session, cookieOptions(maxAge, true));
    // Readable by the page's script, which echoes it in X-CSRF-Token on writes.
    void reply.setCookie(CSRF_COOKIE, csrf, cookieOptions(maxAge, false));
  };

  route(endpoints.login, async ({ body, req, reply }) => {
    const r = await people.login(deps, { ...body, ip: req.ip });
    setSignIn(reply, r.sessionToken, r.csrfToken);
    return { user: r.user, expert: r.expert, csrfToken: r.csrfToken };
  });
  route(endpoints.logout, async ({ principal, reply }) => {
    await people.logout(deps, principal);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
    return null;
  });
  route(endpoints.me, ({ principal }) => people.me(deps, principal));
  route(endpoints.createUser, ({ principal, body }) => people.createUser(deps, principal, body));
  route(endpoints.getUser, ({ principal, params }) => people.getUser(deps, principal, params.id));
  route(endpoints.disableUser, ({ principal, params }) =>
    people.setDisabled(deps, principal, params.id, true),
  );
  route(endpoints.enableUser, ({ principal, params }) =>
    people.setDisabled(deps, principal, params.id, false),
  );
  route(endpoints.listExperts, ({ query }) => people.listExperts(deps, query));
  route(endpoints.getExpert, ({ params }) => people.getExpert(deps, params.id));
  route(endpoints.updateMyExpertProfile, ({ principal, body }) =>
    people.updateMyExpertProfile(deps, principal, body),
  );
  route(endpoints.createApiKey, ({ principal, body }) =>
    people.createApiKey(deps, principal, body.name),
  );
  route(endpoints.listApiKeys, ({ principal, query }) =>
    people.listApiKeys(deps, principal, query),
  );
  route(endpoints.revokeApiKey, async ({ principal, params }) => {
    await people.revokeApiKey(deps, principal, params.id);
    return null;
  });
}
