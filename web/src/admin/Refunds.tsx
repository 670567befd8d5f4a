import { useEffect, useState } from 'react';
import type { ResponseOf } from '@hourglass/sdk';
import { api } from '../api.ts';
import { money, when } from '../format.ts';

type Row = ResponseOf<'adminRefunds'>['items'][number];

/** G7: refunds, newest first — escrow back to wallets, and money back to cards with where it stands. */
export function Refunds() {
  const [rows, setRows] = useState<Row[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const load = (after: string | null) =>
    api
      .call('adminRefunds', { query: { limit: 20, ...(after && { cursor: after }) } })
      .then((p) => {
        setRows((prev) => [...(after ? prev : []), ...p.items]);
        setCursor(p.nextCursor);
        setLoaded(true);
      });
  useEffect(() => void load(null), []);
  return (
    <div className="card" data-testid="admin-refunds">
      <h3>Refunds</h3>
      {loaded && rows.length === 0 && <p className="muted">No refunds yet.</p>}
      <div className="scroll">
        <table className="history">
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="refund-row" data-to={r.to} data-state={r.state}>
                <td>{when(r.at)}</td>
                <td className="name">{r.client.name}</td>
                <td>
                  {r.to === 'card' ? 'to card' : 'to wallet'} · {r.reason.replaceAll('_', ' ')}
                </td>
                <td>
                  <span
                    className={`badge ${r.state === 'done' ? 'ok' : r.state === 'failed' ? 'warn' : ''}`}
                  >
                    {r.state}
                  </span>
                  {r.lastError && <span className="muted"> {r.lastError}</span>}
                </td>
                <td className="amount">{money(r.amount)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursor && (
        <button className="secondary" onClick={() => void load(cursor)}>
          Older
        </button>
      )}
    </div>
  );
}
