import type { CreateUserBody, ExpertProfileUpdate } from '@hourglass/protocol';
import type { z } from 'zod';
import { isAdmin, isOperator, type Deps, type Principal } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { hashSecret } from '../platform/ids.ts';
import { cursorId, toPage } from '../platform/pagination.ts';
import { inTransaction } from '../platform/transaction.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { presentExpert, presentUser } from './present.ts';
import {
  apiKeysRepo,
  authSessionsRepo,
  expertsRepo,
  loginFailuresRepo,
  usersRepo,
} from './repository.ts';

type NewUser = z.output<typeof CreateUserBody>;

export async function createUser(deps: Deps, principal: Principal, input: NewUser) {
  if (!isOperator(principal)) fail('forbidden');
  if (input.role === 'admin' && !isAdmin(principal))
    fail('forbidden', 'Only an admin can create an admin.');
  if (input.expert && input.role !== 'expert') {
    fail('validation_failed', 'Only experts have an expert profile.', {
      issues: [{ path: 'body.expert', message: 'only for role expert' }],
    });
  }
  // Hash before the transaction: scrypt is slow and must not hold the embedded database's one connection.
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return deps.db.transaction().execute(async (trx) => {
    if (await usersRepo.emailTaken(trx, input.email)) fail('email_taken');
    const now = await deps.clock.now(trx);
    const user = {
      id: deps.ids.uuid(),
      role: input.role,
      email: input.email,
      name: input.name,
      created_at: now,
      disabled_at: null,
    };
    try {
      await usersRepo.insert(trx, { ...user, password_hash: passwordHash });
    } catch (err) {
      // Two concurrent creations of one email: the unique index decides.
      if ((err as { code?: string }).code === '23505') fail('email_taken');
      throw err;
    }
    if (input.role === 'expert') {
      const profile = input.expert ?? {
        bio: '',
        avatarUrl: null,
        categories: [],
        rates: {},
        flatPrices: {},
      };
      await expertsRepo.insert(trx, user.id, profile);
    }
    return presentUser(user);
  });
}

export async function getUser(deps: Deps, principal: Principal, id: string) {
  const self = principal.kind === 'user' && principal.userId === id;
  if (!self && !isOperator(principal)) fail('forbidden');
  const user = await usersRepo.byId(deps.db, id);
  return user ? presentUser(user) : fail('not_found', 'No such user.');
}

/**
 * An operator disables a user (or enables them again). Disabled, they cannot sign in, their
 * sign-ins end, their join links are refused (`user_disabled`) and every connection they hold —
 * their own channel, each session seat — is closed on every node. Their live sessions go on
 * without them by the presence rules (paused, then `participant_lost`). Repeating either
 * changes nothing.
 */
export async function setDisabled(deps: Deps, principal: Principal, id: string, disabled: boolean) {
  if (!isOperator(principal)) fail('forbidden');
  return inTransaction(deps, async (tx) => {
    const { db: trx, now, outbox } = tx;
    const user = (await usersRepo.byId(trx, id)) ?? fail('not_found', 'No such user.');
    if (user.role === 'admin' && !isAdmin(principal))
      fail('forbidden', 'Only an admin can disable or enable an admin.');
    if (principal.kind === 'user' && principal.userId === id)
      fail('forbidden', 'You cannot disable yourself.');
    if (!disabled || user.disabled_at) {
      if (!disabled && user.disabled_at) await usersRepo.setDisabledAt(trx, id, null);
      return presentUser({ ...user, disabled_at: disabled ? user.disabled_at : null });
    }
    await usersRepo.setDisabledAt(trx, id, now);
    await authSessionsRepo.deleteAllOf(trx, id);
    // Locked (in id order, as every path takes session locks) as a revocation locks its session:
    // a handshake under way on one of them either commits first, and is in its room when the
    // close comes, or reads the token again after this and is refused (realtime/gateway.ts).
    const seats = await trx
      .selectFrom('sessions')
      .select(['id', 'client_id'])
      .where('state', 'in', ['accepted', 'booked', 'open', 'live'])
      .where((eb) => eb.or([eb('client_id', '=', id), eb('expert_id', '=', id)]))
      .orderBy('id')
      .forUpdate()
      .execute();
    outbox.push({
      type: 'user.disabled',
      userId: id,
      seats: seats.map((s) => ({
        sessionId: s.id,
        role: s.client_id === id ? 'client' : 'expert',
      })),
    });
    return presentUser({ ...user, disabled_at: now });
  });
}

export async function listExperts(
  deps: Deps,
  q: { limit: number; cursor?: string | undefined; available?: boolean | undefined },
) {
  const rows = await expertsRepo.page(deps.db, q.limit, cursorId(q.cursor), q.available === true);
  return toPage(rows, q.limit, (r) => r.user_id, presentExpert);
}

export async function getExpert(deps: Deps, id: string) {
  const row = await expertsRepo.byId(deps.db, id);
  return row ? presentExpert(row) : fail('not_found', 'No such expert.');
}

export async function updateMyExpertProfile(
  deps: Deps,
  principal: Principal,
  patch: z.output<typeof ExpertProfileUpdate>,
) {
  if (principal.kind !== 'user' || principal.role !== 'expert')
    fail('forbidden', 'Only experts have a profile to edit.');
  const userId = (principal as { userId: string }).userId;
  return deps.db.transaction().execute(async (trx) => {
    if (patch.name !== undefined)
      await trx.updateTable('users').set({ name: patch.name }).where('id', '=', userId).execute();
    await expertsRepo.update(trx, userId, {
      ...(patch.bio !== undefined && { bio: patch.bio }),
      ...(patch.avatarUrl !== undefined && { avatar_url: patch.avatarUrl }),
      ...(patch.categories !== undefined && { categories: JSON.stringify(patch.categories) }),
      ...(patch.rates !== undefined && { rates: JSON.stringify(patch.rates) }),
      ...(patch.flatPrices !== undefined && { flat_prices: JSON.stringify(patch.flatPrices) }),
      ...(patch.presence !== undefined && { presence: patch.presence }),
    });
    const row = await expertsRepo.byId(trx, userId);
    return presentExpert(row!);
  });
}

export async function me(deps: Deps, principal: Principal) {
  if (principal.kind !== 'user') return fail('unauthenticated');
  const user = await usersRepo.byId(deps.db, principal.userId);
  if (!user) return fail('unauthenticated');
  const expert = user.role === 'expert' ? await expertsRepo.byId(deps.db, user.id) : undefined;
  return { user: presentUser(user), expert: expert ? presentExpert(expert) : null };
}

/** Sign-in. Throttled per email and per client address; both count failures in the database. */
export async function login(deps: Deps, input: { email: string; password: string; ip: string }) {
  const { config, db, clock, ids } = deps;
  const now = await clock.now(db);
  const windowMs = config.LOGIN_WINDOW_MIN * 60_000;
  const keys = [
    { key: `email:${input.email}`, max: config.LOGIN_MAX_FAILURES },
    { key: `ip:${input.ip}`, max: config.LOGIN_MAX_FAILURES_PER_IP },
  ];
  for (const { key, max } of keys) {
    const row = await loginFailuresRepo.get(db, key);
    const windowEnds = row ? row.window_started_at.getTime() + windowMs : 0;
    if (row && row.failures >= max && windowEnds > now.getTime()) {
      throw new AppError('too_many_attempts', undefined, {
        retryAfterSeconds: Math.ceil((windowEnds - now.getTime()) / 1000),
      });
    }
  }
  const user = await usersRepo.byEmailWithHash(db, input.email);
  if (!(await verifyPassword(input.password, user?.password_hash ?? null)) || !user) {
    const windowStartedAfter = new Date(now.getTime() - windowMs);
    for (const { key } of keys) await loginFailuresRepo.record(db, key, now, windowStartedAfter);
    return fail('invalid_credentials');
  }
  // Said only to someone who knows the password: a disabled account is not to be found by guessing.
  if (user.disabled_at) fail('user_disabled');
  await loginFailuresRepo.clear(db, `email:${input.email}`);
  const sessionToken = ids.secret('hgs_');
  const csrfToken = ids.secret('hgc_');
  await authSessionsRepo.insert(db, {
    id_hash: hashSecret(sessionToken),
    user_id: user.id,
    csrf_hash: hashSecret(csrfToken),
    created_at: now,
    expires_at: new Date(now.getTime() + config.AUTH_SESSION_DAYS * 86_400_000),
  });
  const expert = user.role === 'expert' ? await expertsRepo.byId(db, user.id) : undefined;
  return {
    sessionToken,
    csrfToken,
    user: presentUser(user),
    expert: expert ? presentExpert(expert) : null,
  };
}

export async function logout(deps: Deps, principal: Principal) {
  // A host platform's JWT is signed out of by the host: here there is nothing to end.
  if (principal.kind === 'user' && principal.authSessionHash)
    await authSessionsRepo.delete(deps.db, principal.authSessionHash);
}

export async function createApiKey(deps: Deps, principal: Principal, name: string) {
  if (!isAdmin(principal)) fail('forbidden');
  const secret = deps.ids.secret('hgk_');
  const now = await deps.clock.now(deps.db);
  const row = { id: deps.ids.uuid(), name, prefix: secret.slice(0, 10), created_at: now };
  await apiKeysRepo.insert(deps.db, {
    ...row,
    key_hash: hashSecret(secret),
    created_by: (principal as { userId: string }).userId,
  });
  return { apiKey: presentApiKey({ ...row, revoked_at: null }), secret };
}

export async function listApiKeys(
  deps: Deps,
  principal: Principal,
  q: { limit: number; cursor?: string | undefined },
) {
  if (!isAdmin(principal)) fail('forbidden');
  const rows = await apiKeysRepo.page(deps.db, q.limit, cursorId(q.cursor));
  return toPage(rows, q.limit, (r) => r.id, presentApiKey);
}

export async function revokeApiKey(deps: Deps, principal: Principal, id: string) {
  if (!isAdmin(principal)) fail('forbidden');
  if (!(await apiKeysRepo.exists(deps.db, id))) fail('not_found', 'No such API key.');
  // Revoking twice is harmless: the first revocation time stays.
  await apiKeysRepo.revoke(deps.db, id, await deps.clock.now(deps.db));
}

const presentApiKey = (k: {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.created_at.toISOString(),
  revokedAt: k.revoked_at?.toISOString() ?? null,
});
