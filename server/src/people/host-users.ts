import type { Database } from '../db/connect.ts';
import type { Deps } from '../platform/context.ts';
import { fail } from '../platform/errors.ts';
import type { HostClaims } from './host-jwt.ts';
import { expertsRepo, usersRepo } from './repository.ts';

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/**
 * The Hourglass user a host platform's token stands for: made on first sight, keyed by (issuer,
 * subject), and brought up to date with the token's name, email and role on each sight after.
 * The email is only a contact detail: it is taken if no one else has it, and never links a
 * token to an existing account (an email in a token may be unverified).
 */
export async function userForHostClaims(
  deps: Deps,
  claims: HostClaims,
): Promise<{ userId: string; role: 'client' | 'expert' }> {
  try {
    return await deps.db.transaction().execute((trx) => provision(deps, trx, claims));
  } catch (err) {
    // Two first requests of one new user at once: the other made them; this one now finds them.
    if (!isUniqueViolation(err)) throw err;
    return deps.db.transaction().execute((trx) => provision(deps, trx, claims));
  }
}

async function provision(deps: Deps, trx: Database, c: HostClaims) {
  const known = await trx
    .selectFrom('host_identities as h')
    .innerJoin('users as u', 'u.id', 'h.user_id')
    .select(['u.id', 'u.role', 'u.name', 'u.email', 'u.disabled_at'])
    .where('h.issuer', '=', c.issuer)
    .where('h.subject', '=', c.subject)
    .executeTakeFirst();
  if (known?.disabled_at) return fail('user_disabled');
  if (known?.role === 'admin') return fail('forbidden');
  const id = known?.id ?? deps.ids.uuid();
  if (!known) {
    const now = await deps.clock.now(trx);
    const email = c.email && !(await usersRepo.emailTaken(trx, c.email)) ? c.email : undefined;
    await usersRepo.insert(trx, {
      id,
      role: c.role,
      // users.email is unique and required; a host user without a free one gets a placeholder
      // no mail is ever sent to (.invalid is reserved, RFC 2606).
      email: email ?? `${id}@host-users.invalid`,
      name: c.name,
      created_at: now,
      disabled_at: null,
      password_hash: null,
    });
    await trx
      .insertInto('host_identities')
      .values({ issuer: c.issuer, subject: c.subject, user_id: id, created_at: now })
      .execute();
  } else {
    const emailFree =
      c.email !== undefined &&
      c.email !== known.email &&
      !(await usersRepo.emailTaken(trx, c.email));
    if (known.name !== c.name || known.role !== c.role || emailFree)
      await trx
        .updateTable('users')
        .set({ name: c.name, role: c.role, ...(emailFree && { email: c.email }) })
        .where('id', '=', id)
        .execute();
  }
  // Only a new expert, or a client who became one, may lack a profile: no lookup on each sight.
  if (c.role === 'expert' && known?.role !== 'expert' && !(await expertsRepo.byId(trx, id)))
    await expertsRepo.insert(trx, id, {
      bio: '',
      avatarUrl: null,
      categories: [],
      rates: {},
      flatPrices: {},
    });
  return { userId: id, role: c.role };
}
