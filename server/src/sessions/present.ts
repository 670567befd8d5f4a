import type { Session } from '@hourglass/protocol';
import type { SessionRow } from './repository.ts';
import { capabilitiesOf } from './rules.ts';

export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function presentSession(s: SessionRow, serverNow: Date): Session {
  return {
    id: s.id,
    kind: s.kind,
    type: s.type,
    state: s.state as Session['state'],
    endReason: s.end_reason as Session['endReason'],
    clientId: s.client_id,
    expertId: s.expert_id,
    capabilities: capabilitiesOf(s.type),
    ratePerMinute: s.rate_per_minute,
    price: s.price,
    durationMinutes: s.duration_minutes,
    scheduledAt: iso(s.scheduled_at),
    startedAt: iso(s.started_at),
    endsAt: iso(s.ends_at),
    endedAt: iso(s.ended_at),
    clientJoinedAt: iso(s.client_joined_at),
    expertJoinedAt: iso(s.expert_joined_at),
    notes: s.notes,
    createdAt: s.created_at.toISOString(),
    serverNow: serverNow.toISOString(),
  };
}
