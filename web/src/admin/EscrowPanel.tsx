import { useState } from 'react';
import { api } from '../api.ts';
import { useQuery } from '../useQuery.ts';
import { money, until, when, errorText } from '../format.ts';

/** E5/G7: escrow held (and when each is due), disputed (with the client's reason); release or refund. */
export function EscrowPanel() {
  const [state, setState] = useState<'held' | 'disputed'>('disputed');
  const [settleError, setSettleError] = useState<string | null>(null);
  const escrow = useQuery(async () => {
    const [p, stats] = await Promise.all([
      api.call('adminEscrow', { query: { state, limit: 50 } }),
      api.call('escrowStats'),
    ]);
    return { rows: p.items, stats };
  }, [state]);
  const rows = escrow.data?.rows;
  const stats = escrow.data?.stats;
  const error = settleError ?? escrow.error;

  async function settle(id: string, how: 'release' | 'refund') {
    setSettleError(null);
    try {
      if (how === 'release') await api.call('releaseEscrow', { params: { id }, body: {} });
      else await api.call('refundEscrow', { params: { id }, body: {} });
      escrow.reload();
    } catch (e) {
      setSettleError(errorText(e));
    }
  }

  return (
    <div className="card" data-testid="admin-escrow">
      <h3>Escrow</h3>
      {stats && (
        <div className="row stats" data-testid="escrow-stats">
          {(['held', 'disputed', 'released', 'refunded'] as const).map((b) => (
            <div key={b} className="stat" data-bucket={b}>
              <span className="muted">{b}</span>
              <strong>{money(stats[b].sum, stats.currency)}</strong>
              <span className="muted">{stats[b].count} sessions</span>
            </div>
          ))}
        </div>
      )}
      <div className="row">
        {(['disputed', 'held'] as const).map((s) => (
          <button
            key={s}
            className={state === s ? '' : 'secondary'}
            data-testid={`escrow-tab-${s}`}
            onClick={() => setState(s)}
          >
            {s === 'held' ? 'Held' : 'Disputed'}
          </button>
        ))}
      </div>
      {error && (
        <p className="error" data-testid="escrow-error">
          {error}
        </p>
      )}
      {!rows ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted">None {state}.</p>
      ) : (
        <div className="scroll">
          <table className="history">
            <tbody>
              {rows.map((e) => (
                <tr key={e.sessionId} data-testid="escrow-row" data-session={e.sessionId}>
                  <td>
                    <span className="name">{e.client.name}</span> →{' '}
                    <span className="name">{e.expert.name}</span>
                  </td>
                  <td className="amount">{money(e.held)}</td>
                  <td>
                    {e.disputeReason !== null ? (
                      <span className="reason">“{e.disputeReason}”</span>
                    ) : e.releaseAt ? (
                      <span className="muted">
                        due in {until(Date.parse(e.releaseAt) - Date.now())}
                      </span>
                    ) : (
                      <span className="muted">before the session</span>
                    )}
                    {e.disputedAt && <span className="muted"> · {when(e.disputedAt)}</span>}
                  </td>
                  <td className="row">
                    <button
                      className="secondary"
                      data-testid="escrow-release"
                      onClick={() => void settle(e.sessionId, 'release')}
                    >
                      Release
                    </button>
                    <button
                      className="secondary"
                      data-testid="escrow-refund"
                      onClick={() => void settle(e.sessionId, 'refund')}
                    >
                      Refund
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
