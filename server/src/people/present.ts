import type { Expert, User } from '@hourglass/protocol';
import type { ExpertRow, UserRow } from './repository.ts';

export const presentUser = (u: UserRow): User => ({
  id: u.id,
  role: u.role,
  email: u.email,
  name: u.name,
  createdAt: u.created_at.toISOString(),
  disabledAt: u.disabled_at?.toISOString() ?? null,
});

export const presentExpert = (e: ExpertRow): Expert => ({
  id: e.user_id,
  name: e.name,
  bio: e.bio,
  avatarUrl: e.avatar_url,
  categories: e.categories,
  rates: e.rates,
  flatPrices: e.flat_prices,
  presence: e.live ? 'busy' : e.presence,
  ratingAvg: e.rating_avg === null ? null : Number(e.rating_avg),
  ratingCount: e.rating_count,
  noShowCount: e.no_show_count,
});
