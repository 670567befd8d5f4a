import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import type { DatabaseHandle } from '../../src/db/connect.ts';
import { accounts } from '../../src/ledger/accounts.ts';
import { ledgerViolations } from '../../src/ledger/invariants.ts';
import { balanceOf, hold, resolve, transfer, type TransferInput } from '../../src/ledger/ledger.ts';
import { randomIds } from '../../src/platform/ids.ts';

const now = new Date('2026-03-02T12:00:00Z');
const cash = accounts.providerCash('local');

describeOnDatabases('ledger', (target) => {
  let h: DatabaseHandle;
  const tx = <T>(fn: (trx: DatabaseHandle['db']) => Promise<T>) => h.db.transaction().execute(fn);
  const move = (i: TransferInput) => tx((trx) => transfer(trx, now, 'USD', i));
  const topUp = (wallet: string, amount: number) =>
    move({ id: `t:${randomIds.uuid()}`, debit: cash, credit: wallet, amount, kind: 'top_up' });
  const wallet = () => accounts.wallet(randomIds.uuid());

  beforeAll(async () => {
    h = await target.open();
  });
  afterAll(() => h?.close());

  it('a transfer moves money once: kept balances for wallets, derived ones for system accounts (L1)', async () => {
    const w = wallet();
    await topUp(w, 1000);
    await move({
      id: `x:${w}`,
      debit: w,
      credit: accounts.platformRevenue,
      amount: 300,
      kind: 'test',
    });
    expect(await balanceOf(h.db, w)).toBe(700);
    expect(await balanceOf(h.db, accounts.platformRevenue)).toBeGreaterThanOrEqual(300);
    expect(await ledgerViolations(h.db, 70)).toEqual([]);
  });

  it('idempotency: the same id and body returns the original; another body is idempotency_conflict', async () => {
    const w = wallet();
    await topUp(w, 500);
    const i = {
      id: `idem:${w}`,
      debit: w,
      credit: accounts.platformRevenue,
      amount: 200,
      kind: 'test',
    };
    const first = await move(i);
    const again = await move(i);
    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.transfer.seq).toBe(first.transfer.seq);
    expect(await balanceOf(h.db, w)).toBe(300);
    await expect(move({ ...i, amount: 201 })).rejects.toMatchObject({
      code: 'idempotency_conflict',
    });
    await expect(move({ ...i, credit: accounts.earnings(randomIds.uuid()) })).rejects.toMatchObject(
      { code: 'idempotency_conflict' },
    );
    expect(await balanceOf(h.db, w)).toBe(300);
  });

  it('L2: a debit the wallet cannot cover is insufficient_funds and leaves no trace', async () => {
    const w = wallet();
    await topUp(w, 100);
    await expect(
      move({
        id: `over:${w}`,
        debit: w,
        credit: accounts.platformRevenue,
        amount: 101,
        kind: 'test',
      }),
    ).rejects.toMatchObject({ code: 'insufficient_funds' });
    expect(
      await h.db
        .selectFrom('ledger_transfers')
        .select('id')
        .where('id', '=', `over:${w}`)
        .executeTakeFirst(),
    ).toBeUndefined();
    expect(await balanceOf(h.db, w)).toBe(100);
  });

  it('L2 is the database’s rule too: a wallet row cannot be set below zero even by hand', async () => {
    const w = wallet();
    await topUp(w, 5);
    await expect(
      sql`update ledger_accounts set balance = -1 where id = ${w}`.execute(h.db),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('transfers are append-only: no update, no delete', async () => {
    const w = wallet();
    const { transfer: t } = await topUp(w, 5);
    await expect(
      sql`update ledger_transfers set amount = 1 where id = ${t.id}`.execute(h.db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`delete from ledger_transfers where id = ${t.id}`.execute(h.db),
    ).rejects.toThrow(/append-only/);
  });

  it('amounts are positive whole minor units', async () => {
    const w = wallet();
    for (const amount of [0, -5, 1.5, Number.MAX_SAFE_INTEGER + 2]) {
      await expect(
        move({ id: `bad:${amount}:${w}`, debit: cash, credit: w, amount, kind: 'test' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
    }
  });

  it('L4: a pending transfer is posted or voided exactly once', async () => {
    const earnings = accounts.earnings(randomIds.uuid());
    const payouts = accounts.payouts(randomIds.uuid());
    const w = wallet();
    await topUp(w, 900);
    await move({ id: `e:${w}`, debit: w, credit: earnings, amount: 900, kind: 'test' });
    const p = await tx((trx) =>
      hold(trx, now, 'USD', {
        id: `payout:${w}`,
        debit: earnings,
        credit: payouts,
        amount: 600,
        kind: 'payout',
      }),
    );
    expect(p.transfer.credit_account).toBe(accounts.inFlight);
    expect(await balanceOf(h.db, earnings)).toBe(300);
    expect(await balanceOf(h.db, payouts)).toBe(0);
    const posted = await tx((trx) => resolve(trx, now, p.transfer.id, 'post'));
    const again = await tx((trx) => resolve(trx, now, p.transfer.id, 'post'));
    expect([posted.created, again.created]).toEqual([true, false]);
    await expect(tx((trx) => resolve(trx, now, p.transfer.id, 'void'))).rejects.toMatchObject({
      code: 'already_resolved',
    });
    expect(await balanceOf(h.db, payouts)).toBe(600);

    const q = await tx((trx) =>
      hold(trx, now, 'USD', {
        id: `payout2:${w}`,
        debit: earnings,
        credit: payouts,
        amount: 300,
        kind: 'payout',
      }),
    );
    const voided = await Promise.allSettled([
      tx((trx) => resolve(trx, now, q.transfer.id, 'void')),
      tx((trx) => resolve(trx, now, q.transfer.id, 'post')),
    ]);
    expect(voided.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await ledgerViolations(h.db, 70)).toEqual([]);
  });

  it('50 concurrent debits against a wallet that covers 10: exactly 10 succeed', async () => {
    const w = wallet();
    await topUp(w, 10 * 150);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, n) =>
        move({
          id: `race:${w}:${n}`,
          debit: w,
          credit: accounts.platformRevenue,
          amount: 150,
          kind: 'test',
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok).toHaveLength(10);
    expect(refused.every((r) => r.reason.code === 'insufficient_funds')).toBe(true);
    expect(await balanceOf(h.db, w)).toBe(0);
    expect(await ledgerViolations(h.db, 70)).toEqual([]);
  });

  it('the same transfer sent 5 times at once has one effect', async () => {
    const w = wallet();
    await topUp(w, 1000);
    const i = {
      id: `five:${w}`,
      debit: w,
      credit: accounts.platformRevenue,
      amount: 250,
      kind: 'test',
    };
    const results = await Promise.all(Array.from({ length: 5 }, () => move(i)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.transfer.seq)).size).toBe(1);
    expect(await balanceOf(h.db, w)).toBe(750);
  });

  it(`runs on ${target.name}`, () => expect(h.kind).toBe(target.name));
});
