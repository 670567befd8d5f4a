import { createHmac } from 'node:crypto';
import type { IceServers } from '@hourglass/protocol';
import type { Deps, Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { participantRole } from '../sessions/access.ts';
import { sessionsRepo } from '../sessions/repository.ts';
import { capabilitiesOf } from '../sessions/rules.ts';

/**
 * A TURN credential in coturn's shared-secret scheme (`use-auth-secret`): the username is
 * `expiry:userId` (expiry in Unix seconds), the password base64(HMAC-SHA1(secret, username)).
 * coturn checks both without asking us, and refuses it after the expiry.
 */
export function turnCredential(secret: string, userId: string, expiresAt: Date) {
  const username = `${Math.floor(expiresAt.getTime() / 1000)}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** D4: the ICE servers for one participant of a voice or video session. */
export async function iceServersFor(
  deps: Deps,
  principal: Principal,
  sessionId: string,
): Promise<IceServers> {
  const s = (await sessionsRepo.byId(deps.db, sessionId)) ?? fail('not_found', 'No such session.');
  const role = participantRole(principal, s) ?? fail('forbidden');
  const caps = capabilitiesOf(s.type);
  if (!caps.audio && !caps.video) fail('not_allowed_for_type', 'A chat session carries no media.');
  const { STUN_URLS, TURN_URLS, TURN_SECRET, TURN_TTL_S } = deps.config;
  const iceServers: IceServers['iceServers'] = STUN_URLS.length ? [{ urls: STUN_URLS }] : [];
  if (!TURN_URLS.length || !TURN_SECRET) return { iceServers, expiresAt: null };
  const now = await deps.clock.now(deps.db);
  const expiresAt = new Date(now.getTime() + TURN_TTL_S * 1000);
  iceServers.push({
    urls: TURN_URLS,
    ...turnCredential(TURN_SECRET, role === 'client' ? s.client_id : s.expert_id, expiresAt),
  });
  return { iceServers, expiresAt: expiresAt.toISOString() };
}
