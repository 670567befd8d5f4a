import type { SessionRequestBody } from '@hourglass/protocol';
import type { z } from 'zod';
import { accounts } from '../ledger/accounts.ts';
import { balanceOf } from '../ledger/ledger.ts';
import { expertsRepo } from '../people/repository.ts';
import { actorOf, type Deps, type Principal } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import { refOf } from '../platform/events.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';
import { SYSTEM, apply, loadForUpdate } from '../sessions/lifecycle.ts';
import { presentSession } from '../sessions/present.ts';
import type { SessionRow } from '../sessions/repository.ts';
import { insertSession, issueOwnLink } from '../sessions/service.ts';

/**
 * C2: a client asks an online expert for an on-demand session of a type. Refused unless the
 * wallet covers MIN_BALANCE_MINUTES at the expert's rate. The session is `requested` until the
 * expert accepts (`accepted`: both join with their links and the clock starts), declines, or
 * lets REQUEST_TTL_S pass (the request sweep: `expired`). The client gets their join link now.
 */
export async function requestSession(
  deps: Deps,
  principal: Principal,
  input: z.output<typeof SessionRequestBody>,
) {
  if (principal.kind !== 'user' || principal.role !== 'client')
    return fail('forbidden', 'Only clients request sessions.');
  return inTransaction(deps, async (tx) => {
    const { db: trx, now, outbox } = tx;
    const expert =
      (await expertsRepo.byId(trx, input.expertId)) ?? fail('not_found', 'No such expert.');
    const rate =
      expert.rates[input.type] ??
      fail('validation_failed', `The expert does not offer ${input.type} sessions.`, {
        issues: [{ path: 'body.type', message: 'not offered' }],
      });
    // `live`: the expert is in a live session, so busy whatever they set (people/repository.ts).
    if (expert.presence !== 'online' || expert.live) fail('expert_unavailable');
    const required = rate * deps.config.MIN_BALANCE_MINUTES;
    const balance = await balanceOf(trx, accounts.wallet(principal.userId));
    if (balance < required) fail('insufficient_funds', undefined, { required, balance });
    const expiresAt = new Date(now.getTime() + deps.config.REQUEST_TTL_S * 1000);
    const created = await insertSession(
      deps,
      tx,
      { kind: 'on_demand', type: input.type, clientId: principal.userId, expertId: input.expertId },
      { actor: actorOf(principal), request: { expiresAt } },
    );
    outbox.push({
      type: 'request.created',
      ...refOf(created.row),
      expiresAt: expiresAt.toISOString(),
    });
    return {
      session: created.session,
      link: created.links.client,
      expiresAt: expiresAt.toISOString(),
    };
  });
}

/** The expert answers a request: accept (and get their join link, in the same transaction) or decline. */
export async function answerRequest(
  deps: Deps,
  principal: Principal,
  id: string,
  answer: 'accept' | 'decline',
) {
  const answered = await inTransaction(deps, async (tx) => {
    const { db: trx, now, outbox } = tx;
    const s = await loadForUpdate(trx, id);
    if (principal.kind !== 'user' || principal.userId !== s.expert_id)
      fail('forbidden', 'Only the expert asked answers a request.');
    // Past its time the request is expired, even if the sweep has not come by yet.
    if (s.state === 'requested' && s.request_expires_at && s.request_expires_at <= now) {
      await expireRequest(deps, tx, s);
      return null;
    }
    const row = await apply(deps, tx, s, { command: { type: answer }, actor: actorOf(principal) });
    if (row !== s)
      outbox.push({
        type: 'request.answered',
        ...refOf(s),
        state: row.state as 'accepted' | 'declined',
      });
    // Accepted: the expert's own join link, fresh (theirs from the request was never shown).
    const link =
      answer === 'accept'
        ? await issueOwnLink(deps, tx, row, { role: 'expert', actor: actorOf(principal) })
        : null;
    return { session: presentSession(row, now), link };
  });
  return (
    answered ??
    fail('invalid_transition', 'The request has expired.', { state: 'expired', command: answer })
  );
}

/** The request sweep: requests not answered in time expire, at their deadline. */
export async function expireRequest(deps: Deps, tx: Tx, s: SessionRow) {
  const row = await apply(deps, tx, s, {
    command: { type: 'expire' },
    actor: SYSTEM,
    at: s.request_expires_at!,
  });
  if (row !== s) tx.outbox.push({ type: 'request.answered', ...refOf(s), state: 'expired' });
  return row;
}
