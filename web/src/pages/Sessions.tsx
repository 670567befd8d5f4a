import { useEffect, useState } from 'react';
import type { MySession, SessionState } from '@hourglass/sdk';
import { api } from '../api.ts';
import { money, until, when, errorText } from '../format.ts';
import { go } from '../nav.ts';
import { offsetFrom, useTick } from '../tick.ts';

const ahead: readonly SessionState[] = ['requested', 'accepted', 'booked', 'open', 'live'];
const typeName = { chat: 'Chat', voice: 'Voice', video: 'Video' } as const;

/** B4: my sessions (a client's bookings, an expert's sessions): coming up first, then the past. */
export function Sessions() {
  return (
    <section data-testid="sessions-page">
      <h2>My sessions</h2>
      <SessionList />
    </section>
  );
}

/**
 * The list behind "My sessions" and the expert dashboard's "Upcoming": each coming session
 * counts down to its start on the server's clock, and its Start button is enabled only while
 * the start window is open (or the session is live or accepted). Start asks for a fresh join
 * link of one's own and opens the room.
 */
export function SessionList({ only }: { only?: 'upcoming' }) {
  const [items, setItems] = useState<MySession[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useTick(1000);

  async function load(after: string | null) {
    try {
      const page = await api.call('mySessions', {
        query: { limit: 50, ...(after && { cursor: after }) },
      });
      if (page.items[0]) setOffset(offsetFrom(page.items[0].serverNow));
      setItems((prev) => [...(after ? (prev ?? []) : []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(errorText(err));
    }
  }
  useEffect(() => void load(null), []);

  async function start(s: MySession) {
    setError(null);
    try {
      const link = await api.call('myJoinLink', { params: { id: s.id }, body: {} });
      go(null, new URL(link.url).pathname);
    } catch (err) {
      setError(errorText(err));
    }
  }

  if (error && !items) return <p className="error">{error}</p>;
  if (!items) return <p className="muted">Loading…</p>;
  const now = Date.now() + offset;
  const at = (s: MySession) => Date.parse(s.scheduledAt ?? s.createdAt);
  // On the expert's dashboard, requests have their own panel with accept and decline.
  const coming = items
    .filter((s) => ahead.includes(s.state) && !(only === 'upcoming' && s.state === 'requested'))
    .sort((a, b) => at(a) - at(b));
  const past = items.filter((s) => !ahead.includes(s.state));
  return (
    <>
      {coming.length === 0 && (
        <p className="muted" data-testid="no-upcoming">
          Nothing coming up.
        </p>
      )}
      <ul className="list">
        {coming.map((s) => (
          <Upcoming key={s.id} s={s} now={now} onStart={() => void start(s)} />
        ))}
      </ul>
      {error && (
        <p className="error" data-testid="sessions-error">
          {error}
        </p>
      )}
      {only !== 'upcoming' && past.length > 0 && (
        <>
          <h3>Past</h3>
          <ul className="list">
            {past.map((s) => (
              <li key={s.id} className="card" data-testid="past-session">
                <strong>{typeName[s.type]}</strong> with{' '}
                <span className="name">{s.counterpart.name}</span>
                <span className="muted"> · {when(s.scheduledAt ?? s.createdAt)} · </span>
                <span className="badge">
                  {s.state === 'ended'
                    ? (s.endReason ?? 'ended').replaceAll('_', ' ')
                    : s.state.replace('_', ' ')}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {cursor && (
        <button className="secondary" onClick={() => void load(cursor)}>
          Older sessions
        </button>
      )}
    </>
  );
}

function Upcoming({ s, now, onStart }: { s: MySession; now: number; onStart: () => void }) {
  const w = s.startWindow;
  const inWindow = w !== null && now >= Date.parse(w.opensAt) && now <= Date.parse(w.closesAt);
  const startable =
    s.state === 'live' ||
    s.state === 'accepted' ||
    ((s.state === 'booked' || s.state === 'open') && inWindow);
  const startsIn = s.scheduledAt ? Date.parse(s.scheduledAt) - now : null;
  let status: string;
  if (s.state === 'live') status = 'Live now';
  else if (s.state === 'requested')
    status = s.requestExpiresAt
      ? `Waiting for the expert · ${until(Date.parse(s.requestExpiresAt) - now)} left`
      : 'Waiting for the expert';
  else if (s.state === 'accepted') status = 'Accepted: join now';
  else if (startsIn !== null && startsIn > 0) status = `Starts in ${until(startsIn)}`;
  else if (inWindow) status = 'Open now';
  else status = 'The start window has closed';
  return (
    <li className="card session-row" data-testid="upcoming-session" data-id={s.id}>
      <div>
        <strong>{typeName[s.type]}</strong> with{' '}
        <span className="name" data-testid="counterpart-name">
          {s.counterpart.name}
        </span>
        <div className="muted">
          {s.scheduledAt ? when(s.scheduledAt) : 'On demand'}
          {s.durationMinutes ? ` · ${s.durationMinutes} min` : ''}
          {s.price !== null
            ? ` · ${money(s.price)}`
            : s.ratePerMinute !== null
              ? ` · ${money(s.ratePerMinute)}/min`
              : ''}
        </div>
        <div className="countdown" data-testid="countdown">
          {status}
        </div>
        {w && !inWindow && startsIn !== null && startsIn > 0 && (
          <div className="muted small">
            Start opens at{' '}
            {new Date(w.opensAt).toLocaleTimeString(undefined, {
              hour: '2-digit',
              minute: '2-digit',
            })}
          </div>
        )}
      </div>
      <button data-testid="start" disabled={!startable} onClick={onStart}>
        Start
      </button>
    </li>
  );
}
