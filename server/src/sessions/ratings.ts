import type { z } from 'zod';
import type { RatingBody } from '@hourglass/protocol';
import { sql } from 'kysely';
import type { Deps, Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { inTransaction } from '../platform/transaction.ts';
import { participantRole } from './access.ts';
import { loadForUpdate } from './lifecycle.ts';
import { eventsRepo } from './repository.ts';

/**
 * F2: the client rates the expert once, after a session that went live and ended. The expert's
 * average and count are recomputed from the ratings in the same transaction (under the
 * expert's profile row), leaving out sessions that ended for a technical failure.
 */
export async function rateSession(
  deps: Deps,
  principal: Principal,
  id: string,
  input: z.output<typeof RatingBody>,
) {
  return inTransaction(deps, async ({ db: trx, now }) => {
    const s = await loadForUpdate(trx, id);
    if (participantRole(principal, s) !== 'client')
      fail('forbidden', "Only the session's client rates it.");
    if (s.state !== 'ended' || !s.started_at)
      fail('invalid_transition', 'Only a session that took place and ended can be rated.', {
        state: s.state,
        command: 'rate',
      });
    const done = await trx
      .selectFrom('session_ratings')
      .select('session_id')
      .where('session_id', '=', id)
      .executeTakeFirst();
    if (done) fail('already_rated');
    const countsInAverage = s.end_reason !== 'participant_lost';
    const row = await trx
      .insertInto('session_ratings')
      .values({
        session_id: id,
        client_id: s.client_id,
        expert_id: s.expert_id,
        stars: input.stars,
        text: input.text,
        counts_in_average: countsInAverage,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await sql`update expert_profiles p set rating_count = r.n, rating_avg = r.avg
      from (select count(*)::int as n, round(avg(stars), 2) as avg from session_ratings where expert_id = ${s.expert_id} and counts_in_average) r
      where p.user_id = ${s.expert_id}`.execute(trx);
    await eventsRepo.append(trx, deps.ids, {
      sessionId: id,
      at: now,
      actor: { id: s.client_id, role: 'client' },
      kind: 'rated',
      data: { stars: input.stars },
    });
    return {
      sessionId: id,
      stars: row.stars,
      text: row.text,
      createdAt: row.created_at.toISOString(),
    };
  });
}
