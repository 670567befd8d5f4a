import { useEffect, useState } from 'react';
import type { Expert } from '@hourglass/sdk';
import { api } from '../api.ts';
import { go } from '../nav.ts';
import { money } from '../format.ts';

const presenceLabel = { online: 'online', busy: 'in a session', offline: 'offline' } as const;

/** B-directory: every expert with presence and per-minute rates. Names and bios are text, never HTML. */
export function Experts() {
  const [experts, setExperts] = useState<Expert[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.call('listExperts', { query: { limit: 100 } }).then(
      (p) => setExperts(p.items),
      (err: Error) => setError(err.message),
    );
  }, []);
  if (error) return <p className="error">{error}</p>;
  if (!experts) return <p className="muted">Loading…</p>;
  return (
    <section data-testid="experts">
      <h2>Experts</h2>
      {experts.map((e) => (
        <a
          key={e.id}
          className="card expert-card"
          href={`/experts/${e.id}`}
          onClick={(ev) => go(ev, `/experts/${e.id}`)}
          data-testid="expert-card"
        >
          <div className="row">
            <strong data-testid="expert-name">{e.name}</strong>
            <span className={`badge ${e.presence === 'online' ? 'ok' : ''}`}>
              {presenceLabel[e.presence]}
            </span>
            {e.ratingAvg !== null && (
              <span className="muted">
                ★ {e.ratingAvg.toFixed(1)} ({e.ratingCount})
              </span>
            )}
          </div>
          <p className="muted bio">{e.bio}</p>
          <p className="muted">
            {Object.entries(e.rates)
              .map(([t, r]) => `${t} ${money(r)}/min`)
              .join(' · ')}
          </p>
        </a>
      ))}
    </section>
  );
}
