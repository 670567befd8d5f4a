import { useEffect, useState } from 'react';
import type { ResponseOf } from '@hourglass/sdk';
import { api } from '../api.ts';
import { money, when, errorText } from '../format.ts';
import { TopUp, type Wallet as WalletView } from '../wallet/TopUp.tsx';

type Entry = ResponseOf<'walletHistory'>['items'][number];

/** What each kind of movement is called in a client's history (docs/LEDGER.md, Transfers). */
const kindName: Record<string, string> = {
  top_up: 'Top-up',
  admin_credit: 'Credit',
  charge: 'Per-minute charge',
  escrow_hold: 'Booking (held)',
  escrow_refund: 'Refund',
  extension: 'Extension',
  provider_refund: 'Refund to card',
  void: 'Refund to card returned',
};

/** E1: the client's wallet — balance, top-up, and the history of every movement, newest first. */
export function Wallet() {
  const [wallet, setWallet] = useState<WalletView | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function load(after: string | null) {
    try {
      const [w, page] = await Promise.all([
        api.call('wallet'),
        api.call('walletHistory', { query: { limit: 20, ...(after && { cursor: after }) } }),
      ]);
      setWallet(w);
      setEntries((prev) => [...(after ? prev : []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(errorText(err));
    }
  }
  useEffect(() => void load(null), []);

  if (error)
    return (
      <p className="error" data-testid="wallet-error">
        {error}
      </p>
    );
  if (!wallet) return <p className="muted">Loading…</p>;
  return (
    <section data-testid="wallet-page">
      <div className="card">
        <p className="muted">Balance</p>
        <p className="balance" data-testid="balance" data-minor={wallet.balance}>
          {money(wallet.balance, wallet.currency)}
        </p>
        <TopUp client={api} onDone={() => void load(null)} />
      </div>
      <h3>History</h3>
      {entries.length === 0 ? (
        <p className="muted">No movements yet.</p>
      ) : (
        <table className="history" data-testid="history">
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-testid="history-row" data-kind={e.kind}>
                <td>{when(e.at)}</td>
                <td>{kindName[e.kind] ?? e.kind}</td>
                <td className={`amount ${e.amount < 0 ? 'out' : 'in'}`}>
                  {e.amount > 0 ? '+' : '−'}
                  {money(Math.abs(e.amount), wallet.currency)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button className="secondary" onClick={() => void load(cursor)}>
          Older
        </button>
      )}
    </section>
  );
}
