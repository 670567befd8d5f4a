import type { AccountKind } from '../db/schema.ts';

/**
 * Account ids are names, derived from what they belong to, so that a transfer can name its
 * accounts without looking them up (accounts are created on first use).
 */
export const accounts = {
  wallet: (clientId: string) => `wallet:${clientId}`,
  escrow: (sessionId: string) => `escrow:${sessionId}`,
  earnings: (expertId: string) => `earnings:${expertId}`,
  payouts: (expertId: string) => `payouts:${expertId}`,
  providerCash: (provider: string) => `provider:${provider}`,
  platformRevenue: 'platform:revenue',
  inFlight: 'in_flight',
} as const;

const prefixes: Record<string, AccountKind> = {
  wallet: 'wallet',
  escrow: 'escrow',
  earnings: 'earnings',
  payouts: 'payouts',
  provider: 'provider_cash',
  platform: 'platform_revenue',
  in_flight: 'in_flight',
};

export function parseAccount(id: string): { kind: AccountKind; ownerId: string | null } {
  const [prefix, owner] = id.split(':', 2) as [string, string | undefined];
  const kind = prefixes[prefix];
  if (!kind) throw new Error(`unknown ledger account ${id}`);
  const ownerId =
    kind === 'wallet' || kind === 'escrow' || kind === 'earnings' || kind === 'payouts'
      ? (owner ?? null)
      : null;
  return { kind, ownerId };
}

/** Accounts whose balance row is kept (and checked ≥ 0 by the database); the rest are derived. */
export const isTracked = (kind: AccountKind) => kind === 'wallet' || kind === 'escrow';
