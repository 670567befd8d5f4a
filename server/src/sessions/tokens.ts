import type { Database } from '../db/connect.ts';
import type { Deps } from '../platform/context.ts';
import type { Tx } from '../platform/transaction.ts';
import { fail } from '../platform/errors.ts';
import { hashSecret } from '../platform/ids.ts';
import { tokensRepo, type SessionRow } from './repository.ts';

const TOKEN_SHAPE = /^hgj_[A-Za-z0-9_-]{43}$/;

/**
 * Issues one join token per participant (A3): 256 random bits, only the hash stored. The raw
 * tokens exist only in this return value: the caller shows them once.
 */
export async function issueTokens(
  deps: Deps,
  tx: Pick<Tx, 'db' | 'now'>,
  s: SessionRow,
  links: { validUntil: Date; roles?: readonly ('client' | 'expert')[] },
) {
  const { db: trx, now } = tx;
  const { validUntil, roles = ['client', 'expert'] } = links;
  const out = {} as Record<
    'client' | 'expert',
    { role: 'client' | 'expert'; token: string; url: string; validUntil: string }
  >;
  for (const role of roles) {
    const token = deps.ids.secret('hgj_');
    await tokensRepo.insert(trx, {
      token_hash: hashSecret(token),
      session_id: s.id,
      participant_id: role === 'client' ? s.client_id : s.expert_id,
      role,
      valid_until: validUntil,
      created_at: now,
    });
    out[role] = {
      role,
      token,
      url: `${deps.config.publicUrl}/session/${token}`,
      validUntil: validUntil.toISOString(),
    };
  }
  return out;
}

/** A token grants exactly one participant in exactly one session, and nothing else. */
export async function resolveJoinToken(db: Database, token: string, now: Date) {
  if (!TOKEN_SHAPE.test(token)) return fail('token_invalid');
  const row = await tokensRepo.byHash(db, hashSecret(token));
  if (!row) return fail('token_invalid');
  if (row.revoked_at) return fail('token_revoked');
  if (row.valid_until <= now) return fail('token_expired');
  if (row.user_disabled_at) return fail('user_disabled');
  return { sessionId: row.session_id, userId: row.participant_id, role: row.role };
}
