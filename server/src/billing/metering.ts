import { accounts } from '../ledger/accounts.ts';
import { ensureAccounts } from '../ledger/ledger.ts';
import type { Deps } from '../platform/context.ts';
import type { Tx } from '../platform/transaction.ts';
import { sessionsRepo, type SessionRow } from '../sessions/repository.ts';
import { SYSTEM, endLive } from '../sessions/lifecycle.ts';
import { chargeSession } from './batch.ts';

/**
 * Charges the next minute of a live on-demand session, at its start (E2), in the caller's
 * transaction, through the same SQL as the sweep's batch (billing/batch.ts). If the wallet
 * cannot pay, the session ends at `paid_until` with `insufficient_funds` and nothing is charged.
 */
export async function chargeNextMinute(deps: Deps, tx: Tx, s: SessionRow): Promise<SessionRow> {
  const { unpaid, events } = await chargeSession(deps, tx.db, s.id, s.paid_until!);
  if (unpaid.length > 0)
    return endLive(deps, tx, s, {
      reason: 'insufficient_funds',
      endedAt: s.paid_until!,
      actor: SYSTEM,
    });
  tx.outbox.push(...events);
  return (await sessionsRepo.byId(tx.db, s.id))!;
}

/**
 * Charges every minute that has begun by `until` (default: the transaction's instant) and is not
 * yet paid (the sweep may not have come by). Returns the row, which has ended with
 * `insufficient_funds` if the wallet ran dry.
 */
export async function chargeDueMinutes(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  until: Date = tx.now,
): Promise<SessionRow> {
  let row = s;
  // A paused clock is not charged (sessions/pause.ts).
  while (
    row.state === 'live' &&
    row.kind === 'on_demand' &&
    !row.paused_at &&
    row.paid_until! <= until
  )
    row = await chargeNextMinute(deps, tx, row);
  return row;
}

/**
 * Creates the accounts a live on-demand session's charges touch, once, when it goes live, so
 * the sweep's fast path (which does not create accounts) never has to.
 */
export async function prepareMetering(deps: Deps, tx: Tx, s: SessionRow) {
  await ensureAccounts(
    tx.db,
    [accounts.wallet(s.client_id), accounts.earnings(s.expert_id), accounts.platformRevenue],
    deps.config.CURRENCY,
    tx.now,
  );
}
