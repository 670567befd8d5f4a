import { api } from '../api.ts';
import { go } from '../nav.ts';
import { money } from '../format.ts';
import { useQuery } from '../useQuery.ts';

const presenceLabel = { online: 'online', busy: 'in a session', offline: 'offline' } as const;

/** B-directory: every expert with presence and per-minute rates. Names and bios are text, never HTML. */
export function Experts() {
  const { data: experts, error } = useQuery(
    async () => (await api.call('listExperts', { query: { limit: 100 } })).items,
    [],
  );
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
