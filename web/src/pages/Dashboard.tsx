import { errorText } from '../format.ts';
import { useState } from 'react';
import { api } from '../api.ts';
import { Availability } from '../dashboard/Availability.tsx';
import { Earnings } from '../dashboard/Earnings.tsx';
import { Requests } from '../dashboard/Requests.tsx';
import type { Me } from '../me.ts';
import { SessionList } from './Sessions.tsx';

/** The expert's dashboard: presence, incoming requests, upcoming sessions, earnings, availability. */
export function Dashboard({ me }: { me: Me }) {
  const [presence, setPresence] = useState(me.expert?.presence ?? 'offline');
  const [error, setError] = useState<string | null>(null);
  if (me.user.role !== 'expert') return <p className="error">The dashboard is for experts.</p>;

  async function toggle() {
    const next = presence === 'online' ? 'offline' : 'online';
    try {
      const e = await api.call('updateMyExpertProfile', { body: { presence: next } });
      setPresence(e.presence);
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section data-testid="dashboard">
      <div className="row dash-head">
        <h2>
          Hello, <span className="name">{me.user.name}</span>
        </h2>
        <button
          className={presence === 'online' ? '' : 'secondary'}
          data-testid="presence-toggle"
          data-presence={presence}
          onClick={() => void toggle()}
        >
          {presence === 'online' ? 'Online: taking requests' : 'Offline: go online'}
        </button>
      </div>
      {error && <p className="error">{error}</p>}
      <Requests />
      <div className="card">
        <h3>Upcoming</h3>
        <SessionList only="upcoming" />
      </div>
      <Earnings />
      <Availability expertId={me.user.id} />
    </section>
  );
}
