import { errorText } from '../format.ts';
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { refreshMe, useMe } from '../me.ts';
import { go } from '../nav.ts';

/** Sign-in; signed in, where to go next for one's role. */
export function Home() {
  const me = useMe();
  const [error, setError] = useState<string | null>(null);

  async function signIn(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    try {
      const r = await api.call('login', {
        body: { email: String(form.get('email')), password: String(form.get('password')) },
      });
      refreshMe();
      // A page that asked for sign-in (/wallet, /sessions, /dashboard, /admin) shows itself now; home goes on by role.
      if (location.pathname === '/')
        go(null, { expert: '/dashboard', admin: '/admin', client: '/experts' }[r.user.role]);
    } catch (err) {
      setError(errorText(err));
    }
  }

  if (me === undefined) return <p className="muted">Loading…</p>;
  if (me) {
    return (
      <div className="card">
        <h2>
          Signed in as <span className="name">{me.user.name}</span>
        </h2>
        <p className="muted">
          {me.user.role} · {me.user.email}
        </p>
        {me.user.role === 'admin' && (
          <p>
            <a href="/admin" onClick={(e) => go(e, '/admin')}>
              Operations
            </a>
            : live sessions and their audit trails, escrow, refunds.
          </p>
        )}
        {me.user.role === 'admin' ? null : me.user.role === 'expert' ? (
          <p>
            <a href="/dashboard" onClick={(e) => go(e, '/dashboard')}>
              Your dashboard
            </a>
            : requests, upcoming sessions, earnings and availability.
          </p>
        ) : (
          <>
            <p>
              <a href="/experts" onClick={(e) => go(e, '/experts')} data-testid="to-experts">
                Find an expert and book a session
              </a>
            </p>
            <p>
              <a href="/sessions" onClick={(e) => go(e, '/sessions')}>
                Your sessions
              </a>{' '}
              ·{' '}
              <a href="/wallet" onClick={(e) => go(e, '/wallet')}>
                Your wallet
              </a>
            </p>
          </>
        )}
      </div>
    );
  }
  return (
    <>
      <form className="card" onSubmit={(e) => void signIn(e)} data-testid="sign-in">
        <h2>Sign in</h2>
        <input name="email" type="email" placeholder="email" autoComplete="username" required />
        <input
          name="password"
          type="password"
          placeholder="password"
          autoComplete="current-password"
          required
        />
        <button type="submit">Sign in</button>
        {error && <p className="error">{error}</p>}
      </form>
      <p className="muted">The demo sign-ins and session links are printed by npm start.</p>
    </>
  );
}
