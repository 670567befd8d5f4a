import { z } from 'zod';
import { Id, Minor, PageQuery, Timestamp } from './common.ts';

export const Role = z.enum(['client', 'expert', 'admin']);
export type Role = z.infer<typeof Role>;

export const SessionType = z.enum(['chat', 'voice', 'video']);
export type SessionType = z.infer<typeof SessionType>;

export const FLAT_DURATIONS = [15, 30, 45, 60] as const;
export const Presence = z.enum(['online', 'busy', 'offline']);

const Email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
const Name = z.string().trim().min(1).max(100);
const Password = z.string().min(10).max(200);

/** Per-minute rate for each session type the expert offers, in minor units. */
export const Rates = z.strictObject({
  chat: Minor.min(1).optional(),
  voice: Minor.min(1).optional(),
  video: Minor.min(1).optional(),
});
/** Flat prices for scheduled sessions, keyed by duration in minutes (15, 30, 45, 60). */
export const FlatPrices = z.strictObject({
  '15': Minor.min(1).optional(),
  '30': Minor.min(1).optional(),
  '45': Minor.min(1).optional(),
  '60': Minor.min(1).optional(),
});

export const ExpertProfileInput = z.strictObject({
  bio: z.string().max(5000).default(''),
  avatarUrl: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .nullable()
    .default(null),
  categories: z.array(z.string().trim().min(1).max(50)).max(20).default([]),
  rates: Rates.default({}),
  flatPrices: FlatPrices.default({}),
});

export const ExpertProfileUpdate = z.strictObject({
  name: Name.optional(),
  bio: z.string().max(5000).optional(),
  avatarUrl: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .nullable()
    .optional(),
  categories: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
  rates: Rates.optional(),
  flatPrices: FlatPrices.optional(),
  presence: Presence.optional(),
});

export const User = z.object({
  id: Id,
  role: Role,
  email: z.string(),
  name: z.string(),
  createdAt: Timestamp,
  disabledAt: Timestamp.nullable().describe(
    'Set while an operator has disabled the user: no sign-in, no join link, no connection',
  ),
});
export type User = z.infer<typeof User>;

export const Expert = z.object({
  id: Id,
  name: z.string(),
  bio: z.string(),
  avatarUrl: z.string().nullable(),
  categories: z.array(z.string()),
  rates: Rates,
  flatPrices: FlatPrices,
  presence: Presence,
  ratingAvg: z.number().nullable(),
  ratingCount: z.number().int(),
  noShowCount: z.number().int().describe('Scheduled sessions the expert missed'),
});
export type Expert = z.infer<typeof Expert>;

export const ExpertsQuery = PageQuery.extend({
  available: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: only experts online now and not in a live session'),
});

export const CreateUserBody = z.strictObject({
  email: Email,
  name: Name,
  role: Role,
  password: Password.optional(),
  expert: ExpertProfileInput.optional(),
});

export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(200) });
export const Me = z.object({ user: User, expert: Expert.nullable() });
export const LoginResult = Me.extend({ csrfToken: z.string() });

export const ApiKey = z.object({
  id: Id,
  name: z.string(),
  prefix: z.string(),
  createdAt: Timestamp,
  revokedAt: Timestamp.nullable(),
});
export const CreateApiKeyBody = z.strictObject({ name: Name });
export const CreatedApiKey = z.object({
  apiKey: ApiKey,
  secret: z.string().describe('Shown once'),
});
