import type { z } from 'zod';
import type { ExtensionBody } from '@hourglass/protocol';
import { sql, type Selectable } from 'kysely';
import type { Database } from '../db/connect.ts';
import type { SessionExtensionsTable } from '../db/schema.ts';
import { accounts } from '../ledger/accounts.ts';
import { transfer } from '../ledger/ledger.ts';
import { actorOf, type Actor, type Deps, type Principal } from '../platform/context.ts';
import { AppError, fail } from '../platform/errors.ts';
import { refOf } from '../platform/events.ts';
import { inTransaction, type Tx } from '../platform/transaction.ts';
import { asSlotTaken, isOverlap } from '../booking/book.ts';
import { startCheckout } from '../payments/checkout.ts';
import type { ProviderPayment } from '../payments/provider.ts';
import { queueRefund } from '../payments/refunds.ts';
import { participantRole } from './access.ts';
import { SYSTEM, loadForUpdate, patchSession } from './lifecycle.ts';
import { eventsRepo, sessionsRepo, type SessionRow } from './repository.ts';

type ExtensionRow = Selectable<SessionExtensionsTable>;

const present = (e: ExtensionRow) => ({
  id: e.id,
  sessionId: e.session_id,
  minutes: e.minutes,
  amount: Number(e.amount),
  payWith: e.pay_with,
  state: e.state,
  createdAt: new Date(e.created_at).toISOString(),
});

/**
 * E6: the client of a live scheduled session buys N more minutes at the expert's per-minute
 * rate for its type. From the wallet it is one transaction (paid into the session's escrow, the
 * deadline moved, both told); through checkout the extension waits for the payment, and
 * `payExtension` applies it then — or refunds it, if the session can no longer be extended.
 * The Idempotency-Key names the purchase: a retry returns it (and its checkout page) again.
 */
export async function buyExtension(
  deps: Deps,
  principal: Principal,
  sessionId: string,
  purchase: { input: z.output<typeof ExtensionBody>; key: string | undefined },
) {
  const { input, key } = purchase;
  const s = (await sessionsRepo.byId(deps.db, sessionId)) ?? fail('not_found', 'No such session.');
  if (participantRole(principal, s) !== 'client')
    fail('forbidden', "Only the session's client buys extensions.");
  if (!deps.config.EXTENSION_MINUTES.includes(input.minutes)) {
    fail(
      'validation_failed',
      `Extensions are ${deps.config.EXTENSION_MINUTES.join(', ')} minutes.`,
      {
        issues: [
          { path: 'body.minutes', message: `one of ${deps.config.EXTENSION_MINUTES.join(', ')}` },
        ],
      },
    );
  }
  const idempotencyKey = key ?? deps.ids.uuid();
  const amount = (await rateOf(deps.db, s)) * input.minutes;
  const actor = actorOf(principal);

  if (input.payWith === 'wallet') {
    return asSlotTaken(
      () =>
        inTransaction(deps, async (tx) => {
          // The session's row lock also orders two purchases with one key: the second finds the first.
          const locked = await loadForUpdate(tx.db, sessionId);
          const before = await existing(tx.db, sessionId, { key: idempotencyKey, input, amount });
          if (before)
            return {
              extension: present(before),
              endsAt: locked.ends_at?.toISOString() ?? null,
              checkoutUrl: null,
            };
          const ext = await insertExtension(deps, tx, extendable(locked), {
            input,
            amount,
            key: idempotencyKey,
            state: 'applied',
          });
          const extended = await applyExtension(deps, tx, locked, { ext, actor });
          return {
            extension: present(ext),
            endsAt: extended.ends_at!.toISOString(),
            checkoutUrl: null,
          };
        }),
      () =>
        new AppError(
          'expert_unavailable',
          'The expert has another booking right after this session.',
        ),
    );
  }

  const ext = await inTransaction(deps, async (tx) => {
    const locked = await loadForUpdate(tx.db, sessionId);
    const before = await existing(tx.db, sessionId, { key: idempotencyKey, input, amount });
    if (before) return before;
    return insertExtension(deps, tx, extendable(locked), {
      input,
      amount,
      key: idempotencyKey,
      state: 'awaiting_payment',
    });
  });
  const started =
    ext.state === 'awaiting_payment'
      ? await startCheckout(
          deps,
          {
            purpose: 'extension',
            userId: s.client_id,
            key: `extension:${ext.id}`,
            extensionId: ext.id,
          },
          amount,
          {
            description: `${input.minutes} more minutes`,
            returnPath: '/',
          },
        )
      : { checkoutUrl: null };
  // A local payment has been applied by now: answer with the extension as it stands.
  const settled = await deps.db
    .selectFrom('session_extensions')
    .selectAll()
    .where('id', '=', ext.id)
    .executeTakeFirstOrThrow();
  const session = (await sessionsRepo.byId(deps.db, sessionId))!;
  return {
    extension: present(settled),
    endsAt: session.ends_at?.toISOString() ?? null,
    checkoutUrl: started.checkoutUrl,
  };
}

/**
 * A checkout for an extension was paid (in the provider event's transaction). A session still
 * live is extended; one that ended (or whose expert has the next booking) gets the payment
 * refunded through the provider, automatically.
 */
export async function payExtension(
  deps: Deps,
  tx: Tx,
  extensionId: string,
  payment: ProviderPayment,
) {
  const { db: trx, now } = tx;
  const ext = await trx
    .selectFrom('session_extensions')
    .selectAll()
    .where('id', '=', extensionId)
    .forUpdate()
    .executeTakeFirst();
  const s = ext && (await loadForUpdate(trx, ext.session_id));
  if (
    ext &&
    s &&
    ext.state === 'awaiting_payment' &&
    Number(ext.amount) === payment.amount &&
    s.state === 'live'
  ) {
    await sql`savepoint extend`.execute(trx);
    try {
      await applyExtension(deps, tx, s, { ext, actor: SYSTEM });
      await sql`release savepoint extend`.execute(trx);
      return;
    } catch (err) {
      if (!isOverlap(err)) throw err;
      await sql`rollback to savepoint extend`.execute(trx);
    }
  }
  if (ext?.state === 'awaiting_payment')
    await trx
      .updateTable('session_extensions')
      .set({ state: 'refunded', settled_at: now })
      .where('id', '=', ext.id)
      .execute();
  await queueRefund(deps, tx, payment, {
    amount: payment.amount,
    reason: 'extension_not_applicable',
    sessionId: ext?.session_id ?? null,
  });
}

/** Paid into escrow (transfer `extension:{id}`), the deadline and the held time moved, both participants told. */
async function applyExtension(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  by: { ext: ExtensionRow; actor: Actor },
) {
  const { ext, actor } = by;
  const { db: trx, now, outbox } = tx;
  await transfer(trx, now, deps.config.CURRENCY, {
    id: `extension:${ext.id}`,
    debit: accounts.wallet(s.client_id),
    credit: accounts.escrow(s.id),
    amount: Number(ext.amount),
    kind: 'extension',
    sessionId: s.id,
  });
  const endsAt = new Date(s.ends_at!.getTime() + ext.minutes * 60_000);
  // The booking's held time grows too: the database refuses it over the expert's next booking (23P01).
  const extended = await patchSession(trx, s, { ends_at: endsAt });
  if (s.booked_range !== null) {
    await sql`update sessions set booked_range = tstzrange(lower(booked_range), upper(booked_range) + make_interval(mins => ${ext.minutes})) where id = ${s.id}`.execute(
      trx,
    );
  }
  await trx
    .updateTable('session_extensions')
    .set({ state: 'applied', settled_at: now })
    .where('id', '=', ext.id)
    .execute();
  await eventsRepo.append(trx, deps.ids, {
    sessionId: s.id,
    at: now,
    actor,
    kind: 'extended',
    data: {
      extensionId: ext.id,
      minutes: ext.minutes,
      amount: Number(ext.amount),
      endsAt: endsAt.toISOString(),
    },
  });
  outbox.push({
    type: 'session.extended',
    ...refOf(s),
    endsAt: endsAt.toISOString(),
    paidUntil: null,
    minutes: ext.minutes,
  });
  return extended;
}

function extendable(s: SessionRow): SessionRow {
  if (s.kind !== 'scheduled')
    fail(
      'invalid_transition',
      'Only scheduled sessions are extended; on-demand sessions run while the wallet pays.',
      { state: s.state, command: 'extend' },
    );
  if (s.state === 'ended') fail('session_ended');
  if (s.state !== 'live' || !s.ends_at)
    fail('invalid_transition', 'Only a live session is extended.', {
      state: s.state,
      command: 'extend',
    });
  return s;
}

async function rateOf(db: Database, s: SessionRow): Promise<number> {
  const expert = await db
    .selectFrom('expert_profiles')
    .select('rates')
    .where('user_id', '=', s.expert_id)
    .executeTakeFirstOrThrow();
  return expert.rates[s.type] ?? fail('not_allowed_for_type', `The expert has no ${s.type} rate.`);
}

/** The purchase this key already made: the same request returns it, a different one is a conflict. */
async function existing(
  trx: Database,
  sessionId: string,
  wanted: { key: string; input: z.output<typeof ExtensionBody>; amount: number },
) {
  const { key, input, amount } = wanted;
  const e = await trx
    .selectFrom('session_extensions')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  if (
    e &&
    (e.minutes !== input.minutes || e.pay_with !== input.payWith || Number(e.amount) !== amount)
  )
    fail('idempotency_conflict', undefined, { id: e.id });
  return e;
}

async function insertExtension(
  deps: Deps,
  tx: Tx,
  s: SessionRow,
  e: {
    input: z.output<typeof ExtensionBody>;
    amount: number;
    key: string;
    state: 'applied' | 'awaiting_payment';
  },
) {
  return tx.db
    .insertInto('session_extensions')
    .values({
      id: deps.ids.uuid(),
      session_id: s.id,
      client_id: s.client_id,
      minutes: e.input.minutes,
      amount: e.amount,
      pay_with: e.input.payWith,
      state: e.state,
      idempotency_key: e.key,
      created_at: tx.now,
      settled_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
