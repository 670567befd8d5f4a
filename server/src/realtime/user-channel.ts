import { ProtocolVersion } from '@hourglass/protocol';
import { z } from 'zod';
import { SESSION_COOKIE } from '../people/authenticate.ts';
import { authSessionsRepo } from '../people/repository.ts';
import type { Deps } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { hashSecret } from '../platform/ids.ts';

/**
 * A signed-in user's own channel (not a session room): what concerns them outside a session —
 * an on-demand request for an expert, its answer for the client. Authenticated by the web
 * sign-in cookie, plus the CSRF token in `auth`, which only a page of our origin can read: a
 * cookie alone rides along on a cross-site WebSocket and proves nothing.
 */
export const UserHandshake = z.union([
  z.strictObject({
    channel: z.literal('user'),
    csrfToken: z.string().min(1).max(200),
    v: ProtocolVersion.optional(),
  }),
  // A host platform's user: its JWT (HOST_JWT_*), which no other site can read either.
  z.strictObject({
    channel: z.literal('user'),
    hostToken: z.string().min(1).max(8192),
    v: ProtocolVersion.optional(),
  }),
]);

export const userRoom = (userId: string) => `user:${userId}`;

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export async function resolveUser(deps: Deps, cookieHeader: string | undefined, csrfToken: string) {
  const cookie = cookieValue(cookieHeader, SESSION_COOKIE);
  if (!cookie)
    return fail('unauthenticated', 'Sign in first: the user channel needs the sign-in cookie.');
  const s = await authSessionsRepo.find(deps.db, hashSecret(cookie), await deps.clock.now(deps.db));
  if (!s) return fail('unauthenticated', 'Your sign-in has expired.');
  if (hashSecret(csrfToken) !== s.csrf_hash) fail('csrf_failed');
  return { userId: s.user_id, role: s.role, validForMs: undefined };
}
