import type { ParticipantRole } from '@hourglass/protocol';
import { isOperator, type Principal } from '../platform/context.ts';
import type { SessionRow } from './repository.ts';

/** The participant role `principal` holds in `s`, if any: by join token for this session, or signed in as one of the two. */
export function participantRole(principal: Principal, s: SessionRow): ParticipantRole | null {
  if (principal.kind === 'participant') return principal.sessionId === s.id ? principal.role : null;
  if (principal.kind === 'user') {
    if (principal.userId === s.client_id) return 'client';
    if (principal.userId === s.expert_id) return 'expert';
  }
  return null;
}

/** The session's other participant. */
export const otherSide = (role: ParticipantRole): ParticipantRole =>
  role === 'client' ? 'expert' : 'client';

/** Its two participants and operators may read a session (and its escrow, its audit trail). */
export function mayRead(principal: Principal, s: SessionRow): boolean {
  return isOperator(principal) || participantRole(principal, s) !== null;
}
