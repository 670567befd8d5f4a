import { sql } from 'kysely';
import type { Deps } from '../platform/context.ts';
import { deadNodes, dropNode } from '../realtime/presence.ts';
import { applyAbsence } from '../sessions/pause.ts';
import { sweep, type TickResult } from './sweep.ts';

/** Realtime nodes whose heartbeat stopped (killed, partitioned): their sockets count as dropped. */
export async function nodeExpiryTick(deps: Deps): Promise<TickResult> {
  const result = { processed: 0, failed: 0 };
  for (const id of await deadNodes(deps)) {
    try {
      const sockets = await dropNode(deps, id);
      deps.log.warn({ node: id, sockets }, 'realtime node declared dead');
      result.processed++;
    } catch (err) {
      result.failed++;
      deps.log.error({ err, node: id }, 'dead node not dropped');
    }
  }
  return result;
}

/**
 * D8: live sessions with a participant away past the grace (the clock pauses) or past the
 * rejoin window (the session ends, `participant_lost`). A scheduled session whose deadline
 * comes before the pause is the deadline sweep's.
 */
export const absenceTick = (deps: Deps, batch = 100) => {
  const grace = deps.config.PRESENCE_GRACE_S;
  const window = deps.config.REJOIN_WINDOW_S;
  return sweep(deps, {
    name: 'absence',
    claim: ({ db: trx, now }, limit) => {
      const from = sql<Date>`greatest(least(client_away_since, expert_away_since), started_at)`;
      const pauseAt = sql<Date>`${from} + make_interval(secs => ${grace})`;
      return trx
        .selectFrom('sessions')
        .selectAll()
        .where('state', '=', 'live')
        .where((eb) =>
          eb.or([eb('client_away_since', 'is not', null), eb('expert_away_since', 'is not', null)]),
        )
        .where((eb) =>
          eb.or([
            eb.and([
              eb('paused_at', 'is', null),
              eb(pauseAt, '<=', now),
              eb.or([eb('kind', '=', 'on_demand'), eb('ends_at', '>', pauseAt)]),
            ]),
            eb.and([
              eb('paused_at', 'is not', null),
              eb(sql<Date>`${from} + make_interval(secs => ${window})`, '<=', now),
            ]),
          ]),
        )
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
    },
    work: (tx, s) => applyAbsence(deps, tx, s),
    batch,
  });
};
