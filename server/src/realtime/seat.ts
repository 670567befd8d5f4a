import { SessionType } from '@hourglass/protocol';
import type { Database } from '../db/connect.ts';
import type { Principal } from '../platform/context.ts';
import { sessionsRepo } from '../sessions/repository.ts';
import type { Side } from './chat.ts';
import { bucketClock, fullTokens, type Bucket } from './limits.ts';

/**
 * What a participant's socket keeps once its handshake is through (its `socket.data`): its side
 * of its session, the session's type, and its rate budget (D7) — one object of five fields per
 * connection, where each byte is paid for by every participant (bench/realtime,
 * docs/perf-log/):
 * - the budget's two numbers are fields here, not an object of their own (realtime/limits.ts);
 * - the role and the type are the protocol's own strings, not copies read from the database;
 * - the user's id is not kept: only `session:end` needs it, and reads it from the session.
 */
export class Seat implements Side, Bucket {
  readonly role: 'client' | 'expert';
  readonly type: SessionType;
  tokens: number;
  last: number;

  constructor(
    readonly sessionId: string,
    role: 'client' | 'expert',
    type: SessionType,
    burst: number,
  ) {
    this.role = role === 'client' ? 'client' : 'expert';
    this.type = SessionType.options.find((t) => t === type)!;
    this.tokens = fullTokens(burst);
    this.last = bucketClock();
  }
}

/** The seat's participant as a principal, with the user's id from the session (which the join token named). */
export async function principalOf(db: Database, seat: Side): Promise<Principal> {
  const s = await sessionsRepo.byId(db, seat.sessionId);
  if (!s) throw new Error(`session ${seat.sessionId} of a connected seat is gone`);
  return {
    kind: 'participant',
    sessionId: seat.sessionId,
    role: seat.role,
    userId: seat.role === 'client' ? s.client_id : s.expert_id,
  };
}
