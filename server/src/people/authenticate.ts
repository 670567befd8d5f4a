import type { Endpoint } from '@hourglass/protocol';
import type { FastifyRequest } from 'fastify';
import type { Deps, Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { hashSecret } from '../platform/ids.ts';
import type { Authenticate } from '../platform/router.ts';
import { resolveJoinToken } from '../sessions/tokens.ts';
import { looksLikeJwt } from './host-jwt.ts';
import { userForHostClaims } from './host-users.ts';
import { apiKeysRepo, authSessionsRepo } from './repository.ts';

export const SESSION_COOKIE = 'hg_session';
export const CSRF_COOKIE = 'hg_csrf';
const API_KEY_SHAPE = /^hgk_[A-Za-z0-9_-]{43}$/;

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Resolves the one credential an endpoint accepts, in order: join token, API key, sign-in cookie.
 * A credential the endpoint does not accept is ignored (a browser sends its cookie everywhere).
 * A presented but bad credential is refused; it never falls back to anonymous.
 */
export function makeAuthenticate(deps: Deps): Authenticate {
  return async (req, endpoint: Endpoint): Promise<Principal> => {
    const accepts = (c: Endpoint['credentials'][number]) => endpoint.credentials.includes(c);
    const joinToken = header(req, 'x-join-token');
    if (joinToken !== undefined && accepts('joinToken')) {
      const p = await resolveJoinToken(deps.db, joinToken, await deps.clock.now(deps.db));
      return { kind: 'participant', ...p };
    }
    const bearer = header(req, 'authorization')?.match(/^Bearer (\S+)$/)?.[1];
    // A host platform's JWT stands for one of its users, wherever a signed-in user may call.
    if (bearer !== undefined && looksLikeJwt(bearer) && accepts('cookie')) {
      const { userId, role } = await hostUser(deps, bearer);
      return { kind: 'user', userId, role };
    }
    if (bearer !== undefined && accepts('apiKey')) {
      if (!API_KEY_SHAPE.test(bearer)) return fail('unauthenticated', 'Unknown API key.');
      const key = await apiKeysRepo.activeByHash(deps.db, hashSecret(bearer));
      return key
        ? { kind: 'apiKey', keyId: key.id }
        : fail('unauthenticated', 'Unknown or revoked API key.');
    }
    const cookie = req.cookies[SESSION_COOKIE];
    if (cookie !== undefined && accepts('cookie')) {
      const idHash = hashSecret(cookie);
      const s = await authSessionsRepo.find(deps.db, idHash, await deps.clock.now(deps.db));
      if (!s) return fail('unauthenticated', 'Your sign-in has expired.');
      // Cookies ride along on cross-site requests; a write must also prove it read our CSRF token.
      if (req.method !== 'GET' && hashSecret(header(req, 'x-csrf-token') ?? '') !== s.csrf_hash)
        fail('csrf_failed');
      return { kind: 'user', userId: s.user_id, role: s.role, authSessionHash: idHash };
    }
    if (accepts('public')) return { kind: 'anonymous' };
    return fail('unauthenticated');
  };
}

/**
 * The user a host platform's JWT stands for, and for how long the token is good (a connection
 * it opened is closed then); refused when no host platform is configured.
 */
export async function hostUser(deps: Deps, token: string) {
  if (!deps.hostJwt) return fail('unauthenticated', 'Sign-in from a host platform is not set up.');
  const now = await deps.clock.now(deps.db);
  const claims = await deps.hostJwt(token, now);
  const user = await userForHostClaims(deps, claims);
  return { ...user, validForMs: claims.expiresAt && claims.expiresAt.getTime() - now.getTime() };
}
