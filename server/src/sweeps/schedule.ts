import { releaseUnpaid } from '../booking/payment.ts';
import { expireRequest } from '../booking/requests.ts';
import type { Deps } from '../platform/context.ts';
import { SYSTEM, endLive } from '../sessions/lifecycle.ts';
import { applyAbsence } from '../sessions/pause.ts';
import { settleNoShow } from '../sessions/service.ts';
import { sweep } from './sweep.ts';

/**
 * D5: a live scheduled session ends at its deadline, `ends_at`, however late the sweep gets
 * there — unless the presence rules stopped its clock before it (a participant away past the
 * grace), which they are asked first whether the absence sweep has come by or not.
 */
export const deadlineTick = (deps: Deps, batch = 100) =>
  sweep(deps, {
    name: 'deadline',
    claim: ({ db, now }, limit) =>
      db
        .selectFrom('sessions')
        .selectAll()
        .where('state', '=', 'live')
        .where('kind', '=', 'scheduled')
        .where('ends_at', '<=', now)
        // A paused clock has not reached its deadline: it moves on by the pause at resume.
        .where('paused_at', 'is', null)
        .orderBy('ends_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute(),
    work: async (tx, s) => {
      const row = await applyAbsence(deps, tx, s);
      if (row.state === 'live' && !row.paused_at)
        await endLive(deps, tx, row, { reason: 'time_up', endedAt: row.ends_at!, actor: SYSTEM });
    },
    batch,
  });

/**
 * B5: a scheduled session whose start window has closed without both participants is a
 * no-show — of the expert if the expert never joined (the client is refunded), else of the client.
 */
export const noShowTick = (deps: Deps, batch = 100) =>
  sweep(deps, {
    name: 'no_show',
    claim: ({ db, now }, limit) =>
      db
        .selectFrom('sessions')
        .selectAll()
        .where('state', 'in', ['booked', 'open'])
        .where(
          'scheduled_at',
          '<',
          new Date(now.getTime() - deps.config.START_WINDOW_AFTER_MIN * 60_000),
        )
        .orderBy('scheduled_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute(),
    work: (tx, s) =>
      settleNoShow(deps, tx, s, {
        absent: s.expert_joined_at ? 'client' : 'expert',
        actor: SYSTEM,
      }),
    batch,
  });

/** C2: on-demand requests not answered by their deadline expire at it. */
export const requestExpiryTick = (deps: Deps, batch = 100) =>
  sweep(deps, {
    name: 'request_expiry',
    claim: ({ db, now }, limit) =>
      db
        .selectFrom('sessions')
        .selectAll()
        .where('state', '=', 'requested')
        .where('request_expires_at', '<=', now)
        .orderBy('request_expires_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute(),
    work: (tx, s) => expireRequest(deps, tx, s),
    batch,
  });

/** B3: a booking paid through checkout that was not paid by its due time gives its time back. */
export const paymentDueTick = (deps: Deps, batch = 100) =>
  sweep(deps, {
    name: 'payment_due',
    claim: ({ db, now }, limit) =>
      db
        .selectFrom('sessions')
        .selectAll()
        .where('state', '=', 'booked')
        .where('payment_due_at', '<=', now)
        .orderBy('payment_due_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute(),
    work: (tx, s) => releaseUnpaid(deps, tx, s, 'payment_not_received'),
    batch,
  });
