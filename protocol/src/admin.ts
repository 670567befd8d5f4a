import { z } from 'zod';
import { Id, Minor, PageQuery, Timestamp, page } from './common.ts';
import { EscrowState } from './money.ts';
import { SessionType } from './people.ts';
import { EndReason, SessionKind, SessionState } from './sessions.ts';

/** G7: what operators see. Every list is newest first, by cursor. */
const Person = z.object({ id: Id, name: z.string() });

export const AdminSessionsQuery = PageQuery.extend({
  state: SessionState.default('live').describe('Default: the live sessions now'),
});
export const AdminSession = z.object({
  id: Id,
  kind: SessionKind,
  type: SessionType,
  state: SessionState,
  endReason: EndReason.nullable(),
  client: Person,
  expert: Person,
  scheduledAt: Timestamp.nullable(),
  startedAt: Timestamp.nullable(),
  endsAt: Timestamp.nullable(),
  paidUntil: Timestamp.nullable(),
  pausedAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  ratePerMinute: Minor.nullable(),
  price: Minor.nullable(),
  charged: Minor.describe('Per-minute charges so far'),
  escrowState: EscrowState.nullable(),
});

export const AdminEscrowQuery = PageQuery.extend({
  state: z.enum(['held', 'disputed', 'released', 'refunded', 'settled']).default('held'),
});
export const AdminEscrow = z.object({
  sessionId: Id,
  state: EscrowState,
  client: Person,
  expert: Person,
  price: Minor,
  held: Minor.describe('Still in escrow now'),
  endedAt: Timestamp.nullable(),
  releaseAt: Timestamp.nullable().describe('When the sweep releases it (held, not disputed)'),
  disputedAt: Timestamp.nullable(),
  disputeReason: z.string().nullable(),
});

export const AdminRefund = z.object({
  id: z.string().describe('The ledger transfer or provider refund id'),
  sessionId: Id.nullable(),
  client: Person,
  amount: Minor,
  to: z.enum(['wallet', 'card']),
  state: z.enum(['done', 'pending', 'failed']),
  reason: z.string(),
  lastError: z.string().nullable(),
  at: Timestamp,
});

export const adminSessionsPage = page(AdminSession);
export const adminEscrowPage = page(AdminEscrow);
export const adminRefundsPage = page(AdminRefund);
