import { useEffect, useState } from 'react';
import { HourglassError, UserChannel, type MySession } from '@hourglass/sdk';
import { api, csrfToken } from '../api.ts';
import { money, until, errorText } from '../format.ts';
import { go } from '../nav.ts';
import { offsetFrom, useTick } from '../tick.ts';

/**
 * C2 for the expert: incoming on-demand requests, live over the user channel, each counting
 * down to its expiry on the server's clock; Accept opens the room, Decline answers at once.
 */
export function Requests() {
  const [requests, setRequests] = useState<MySession[]>([]);
  const [offset, setOffset] = useState(0);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useTick(500);

  useEffect(() => {
    let open = true;
    // The list is the truth; a pushed request only says "look again" (it carries no client name).
    const reload = () =>
      api.call('mySessions', { query: { state: 'requested', limit: 50 } }).then(
        (p) => {
          if (!open) return;
          if (p.items[0]) setOffset(offsetFrom(p.items[0].serverNow));
          setRequests(p.items);
        },
        (err: unknown) => open && setError(errorText(err)),
      );
    const channel = new UserChannel({ baseUrl: location.origin, csrfToken: csrfToken() ?? '' });
    const offs = [
      channel.on('request', () => void reload()),
      channel.on('connected', (up) => {
        setLive(up);
        if (up) void reload(); // what came while the channel was down
      }),
      channel.on('failed', (e) => setError(errorText(e))),
    ];
    void reload();
    return () => {
      open = false;
      offs.forEach((off) => off());
      channel.close();
    };
  }, []);

  async function answer(s: MySession, how: 'accept' | 'decline') {
    setError(null);
    try {
      const r = await api.call(how === 'accept' ? 'acceptRequest' : 'declineRequest', {
        params: { id: s.id },
        body: {},
      });
      setRequests((list) => list.filter((x) => x.id !== s.id));
      if (r.link) go(null, new URL(r.link.url).pathname);
    } catch (err) {
      setError(errorText(err));
      // The server said no (expired, answered already): the request is gone. No answer at all
      // (the network, a 5xx) leaves it there, to try again.
      if (err instanceof HourglassError && err.status < 500)
        setRequests((list) => list.filter((x) => x.id !== s.id));
    }
  }

  const now = Date.now() + offset;
  const waiting = requests.filter(
    (s) => s.requestExpiresAt && Date.parse(s.requestExpiresAt) > now,
  );
  return (
    <div className="card" data-testid="requests" data-live={live}>
      <h3>
        Requests <span className={`badge ${live ? 'ok' : ''}`}>{live ? 'live' : 'connecting'}</span>
      </h3>
      {waiting.length === 0 ? (
        <p className="muted" data-testid="no-requests">
          No one is asking right now.
        </p>
      ) : (
        <ul className="list">
          {waiting.map((s) => (
            <li key={s.id} className="request" data-testid="request" data-id={s.id}>
              <div>
                <strong className="name">{s.counterpart.name}</strong> asks for a {s.type} session
                {s.ratePerMinute !== null && (
                  <span className="muted"> at {money(s.ratePerMinute)}/min</span>
                )}
                <div className="countdown" data-testid="request-countdown">
                  {until(Date.parse(s.requestExpiresAt!) - now)} to answer
                </div>
              </div>
              <div className="row">
                <button data-testid="accept" onClick={() => void answer(s, 'accept')}>
                  Accept
                </button>
                <button
                  className="secondary"
                  data-testid="decline"
                  onClick={() => void answer(s, 'decline')}
                >
                  Decline
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="error" data-testid="requests-error">
          {error}
        </p>
      )}
    </div>
  );
}
