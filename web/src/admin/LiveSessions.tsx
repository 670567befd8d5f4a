import { useState } from 'react';
import { api } from '../api.ts';
import { money, when } from '../format.ts';
import { useQuery } from '../useQuery.ts';

/** G7: the sessions live now (refreshed every 5 s), each with its audit trail on demand. */
export function LiveSessions() {
  const [open, setOpen] = useState<string | null>(null);
  const { data: rows, error } = useQuery(
    async () => (await api.call('adminSessions', { query: { state: 'live', limit: 50 } })).items,
    [],
    { refreshMs: 5000 },
  );
  if (error) return <p className="error">{error}</p>;
  if (!rows) return <p className="muted">Loading…</p>;
  return (
    <div className="card" data-testid="admin-live">
      <h3>
        Live now <span className="badge">{rows.length}</span>
      </h3>
      {rows.length === 0 ? (
        <p className="muted">No session is live.</p>
      ) : (
        <div className="scroll">
          <table className="history">
            <tbody>
              {rows.map((s) => (
                <tr key={s.id} data-testid="live-row" data-session={s.id}>
                  <td>
                    {s.type} · {s.kind === 'on_demand' ? 'per minute' : 'scheduled'}
                  </td>
                  <td>
                    <span className="name">{s.client.name}</span> with{' '}
                    <span className="name">{s.expert.name}</span>
                  </td>
                  <td>
                    since {when(s.startedAt!)}
                    {s.pausedAt && <span className="badge warn"> paused</span>}
                  </td>
                  <td className="amount">
                    {s.kind === 'on_demand' ? money(s.charged) : money(s.price ?? 0)}
                  </td>
                  <td>
                    <button
                      className="link"
                      data-testid="audit-toggle"
                      onClick={() => setOpen(open === s.id ? null : s.id)}
                    >
                      {open === s.id ? 'Hide' : 'Audit trail'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && <AuditTrail sessionId={open} />}
    </div>
  );
}

/** D10: every event of a session, with its time and actor. */
export function AuditTrail({ sessionId }: { sessionId: string }) {
  const { data: events, error } = useQuery(
    async () => (await api.call('sessionEvents', { params: { id: sessionId } })).items,
    [sessionId],
  );
  if (error) return <p className="error">{error}</p>;
  if (!events) return <p className="muted">Loading…</p>;
  return (
    <ol className="list audit" data-testid="audit-trail">
      {events.map((e) => (
        <li key={e.id} data-kind={e.kind}>
          <span className="muted">{new Date(e.at).toLocaleTimeString()}</span>{' '}
          <strong>{e.kind.replaceAll('_', ' ')}</strong>{' '}
          <span className="muted">by {e.actorRole}</span>
          {e.kind === 'charged' && (
            <span>
              {' '}
              · minute {String(e.data.minute)}, {money(Number(e.data.amount))}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}
