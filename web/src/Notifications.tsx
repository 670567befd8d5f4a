import { useEffect, useState } from 'react';
import { UserChannel, type Notification } from '@hourglass/sdk';
import { api, csrfToken } from './api.ts';
import { money, when } from './format.ts';
import { go } from './nav.ts';

/** One line per kind (docs/PROTOCOL.md "Notifications"); names and reasons are rendered as text. */
function sentence(n: Notification): string {
  const who = n.counterpartName ?? 'The other side';
  const d = n.data as Record<string, string | number | null>;
  switch (n.kind) {
    case 'request_new':
      return `${who} asks for a ${d.sessionType} session now.`;
    case 'request_accepted':
      return `${who} accepted your request: join now.`;
    case 'request_declined':
      return `${who} cannot take your request now.`;
    case 'request_expired':
      return `Your request to ${who} was not answered in time.`;
    case 'booking_new':
      return `${who} booked a ${d.sessionType} session for ${when(String(d.scheduledAt))}.`;
    case 'booking_rescheduled':
      return `Your session with ${who} moved to ${when(String(d.to))}.`;
    case 'booking_cancelled':
      return `Your session with ${who} was cancelled.`;
    case 'session_started':
      return `Your session with ${who} has started.`;
    case 'session_extended':
      return `Your session with ${who} was extended by ${d.minutes} minutes.`;
    case 'session_ended':
      return `Your session with ${who} has ended.`;
    case 'session_no_show':
      return `Your session with ${who} was missed (${d.absent === 'expert' ? 'the expert' : 'the client'} did not come).`;
    case 'wallet_credited':
      return `${money(Number(d.amount))} was added to your wallet.`;
    case 'escrow_refunded':
      return `${money(Number(d.amount))} from your session with ${who} is back in your wallet.`;
    case 'escrow_released':
      return `${money(Number(d.amount))} from your session with ${who} is now in your earnings.`;
  }
}

/** F1 in the header: the unread count, live on the user's own channel; the list, and mark all read. */
export function NotificationBell() {
  const [items, setItems] = useState<Notification[]>([]);
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const load = () =>
      api.call('listNotifications', { query: { limit: 20 } }).then(
        (p) => {
          setItems(p.items);
          setUnread(p.unreadCount);
        },
        () => undefined,
      );
    const channel = new UserChannel({ baseUrl: location.origin, csrfToken: csrfToken() ?? '' });
    const offs = [
      channel.on('notification', (n) => {
        setItems((prev) => [n, ...prev.filter((p) => p.id !== n.id)].slice(0, 20));
        setUnread((u) => u + 1);
      }),
      // What came while the channel was down.
      channel.on('connected', (up) => void (up && load())),
    ];
    void load();
    return () => {
      offs.forEach((off) => off());
      channel.close();
    };
  }, []);

  async function readAll() {
    const r = await api.call('markNotificationsRead', { body: { all: true } });
    setUnread(r.unreadCount);
    setItems((prev) => prev.map((n) => ({ ...n, readAt: n.readAt ?? new Date().toISOString() })));
  }

  return (
    <span className="bell">
      <button
        className="link"
        data-testid="bell"
        aria-label={`Notifications, ${unread} unread`}
        onClick={() => setOpen(!open)}
      >
        Notifications
        {unread > 0 && (
          <span className="count" data-testid="unread">
            {unread}
          </span>
        )}
      </button>
      {open && (
        <div className="card notifications" data-testid="notifications">
          {items.length === 0 ? (
            <p className="muted">Nothing yet.</p>
          ) : (
            <ul className="list">
              {items.map((n) => (
                <li
                  key={n.id}
                  data-testid="notification"
                  data-kind={n.kind}
                  className={n.readAt ? '' : 'unread'}
                >
                  {n.kind === 'request_new' ? (
                    <a
                      href="/dashboard"
                      onClick={(e) => {
                        setOpen(false);
                        go(e, '/dashboard');
                      }}
                    >
                      {sentence(n)}
                    </a>
                  ) : (
                    sentence(n)
                  )}
                  <span className="muted"> · {when(n.createdAt)}</span>
                </li>
              ))}
            </ul>
          )}
          {unread > 0 && (
            <button className="secondary" data-testid="read-all" onClick={() => void readAll()}>
              Mark all read
            </button>
          )}
        </div>
      )}
    </span>
  );
}
