import type { Database } from '../db/connect.ts';
import { accounts } from '../ledger/accounts.ts';
import { balanceOf, ensureAccounts, transfer } from '../ledger/ledger.ts';
import { split } from '../ledger/split.ts';
import type { Deps } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import type { DomainEvent } from '../platform/events.ts';
import type { SessionRow } from '../sessions/repository.ts';
import { SYSTEM, endLive, patchSession } from '../sessions/lifecycle.ts';

const MINUTE = 60_000;
/** The low-balance warning fires when the wallet covers fewer than this many more minutes. */
export const LOW_BALANCE_MINUTES = 2;

/** Minutes paid so far; the fast path (hg_charge_due) numbers minutes by the same rule. */
export const minutesCharged = (s: SessionRow) => s.billed_seconds / 60;

/**
 * Charges the next minute of a live on-demand session, at its start (E2): transfer
 * `ppm:{session}:{n}` (wallet → expert earnings, the full rate) and its fee (earnings →
 * platform revenue, L5), and moves `paid_until` one minute on — all in the caller's
 * transaction. If the wallet cannot pay, the session ends at `paid_until` with
 * `insufficient_funds` and nothing is charged.
 */
export async function chargeNextMinute(deps: Deps, trx: Database, s: SessionRow, outbox: DomainEvent[]): Promise<SessionRow> {
  const rate = s.rate_per_minute!;
  const minute = minutesCharged(s) + 1;
  const id = `ppm:${s.id}:${minute}`;
  const at = s.paid_until!;
  const wallet = accounts.wallet(s.client_id);
  const earnings = accounts.earnings(s.expert_id);
  try {
    await transfer(trx, at, deps.config.CURRENCY, { id, debit: wallet, credit: earnings, amount: rate, kind: 'charge', sessionId: s.id });
  } catch (err) {
    if (err instanceof AppError && err.code === 'insufficient_funds') return endLive(deps, trx, s, 'insufficient_funds', at, SYSTEM, outbox);
    throw err;
  }
  const fee = split(rate, deps.config.SPLIT_EXPERT_PERCENT).platform;
  if (fee > 0) {
    await transfer(trx, at, deps.config.CURRENCY, { id: `${id}:fee`, debit: earnings, credit: accounts.platformRevenue, amount: fee, kind: 'charge_fee', sessionId: s.id });
  }
  const balance = await balanceOf(trx, wallet);
  const paidUntil = new Date(at.getTime() + MINUTE);
  const low = balance < rate * LOW_BALANCE_MINUTES;
  const warn = low && s.low_balance_warned_at === null;
  const updated = await patchSession(trx, s, {
    paid_until: paidUntil,
    billed_seconds: s.billed_seconds + 60,
    // Re-arms after a top-up, so a second drop warns again.
    low_balance_warned_at: low ? (s.low_balance_warned_at ?? at) : null,
  });
  outbox.push({ type: 'billing.charged', sessionId: s.id, minute, amount: rate, balance, paidUntil: paidUntil.toISOString() });
  if (warn) outbox.push({ type: 'billing.low_balance', sessionId: s.id, balance, minutesLeft: Math.floor(balance / rate) });
  return updated;
}

/**
 * Charges every minute that has begun by `now` and is not yet paid (the sweep may not have come
 * by). Returns the row, which has ended with `insufficient_funds` if the wallet ran dry.
 */
export async function chargeDueMinutes(deps: Deps, trx: Database, s: SessionRow, now: Date, outbox: DomainEvent[]): Promise<SessionRow> {
  let row = s;
  while (row.state === 'live' && row.kind === 'on_demand' && row.paid_until! <= now) row = await chargeNextMinute(deps, trx, row, outbox);
  return row;
}

/**
 * Creates the accounts a live on-demand session's charges touch, once, when it goes live, so
 * the sweep's fast path (which does not create accounts) never has to.
 */
export async function prepareMetering(deps: Deps, trx: Database, s: SessionRow, now: Date) {
  await ensureAccounts(trx, [accounts.wallet(s.client_id), accounts.earnings(s.expert_id), accounts.platformRevenue], deps.config.CURRENCY, now);
}
