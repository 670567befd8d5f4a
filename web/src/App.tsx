import { useEffect, useState } from 'react';
import { api } from './api.ts';
import { refreshMe, useMe, type Me } from './me.ts';
import { go } from './nav.ts';
import { NotificationBell } from './Notifications.tsx';
import { Admin } from './pages/Admin.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { ExpertPage } from './pages/ExpertPage.tsx';
import { Experts } from './pages/Experts.tsx';
import { Home } from './pages/Home.tsx';
import { Sessions } from './pages/Sessions.tsx';
import { Wallet } from './pages/Wallet.tsx';
import { Room } from './room/Room.tsx';

/** The routes there are (the server answers index.html for each: platform/web-routes.ts). */
function route(path: string, me: Me | null | undefined) {
  const session = /^\/session\/([^/]+)$/.exec(path);
  if (session) return <Room token={decodeURIComponent(session[1]!)} />;
  const expert = /^\/experts\/([0-9a-f-]{36})$/.exec(path);
  if (expert) return <ExpertPage id={expert[1]!} />;
  if (path === '/experts') return <Experts />;
  const signedIn = ['/sessions', '/wallet', '/dashboard', '/admin'].includes(path);
  if (signedIn && me === undefined) return <p className="muted">Loading…</p>;
  if (signedIn && me === null) return <Home />;
  if (path === '/sessions') return <Sessions />;
  if (path === '/wallet') return <Wallet />;
  if (path === '/dashboard') return <Dashboard me={me!} />;
  if (path === '/admin') return <Admin me={me!} />;
  return <Home />;
}

function Link({ to, children, testId }: { to: string; children: string; testId?: string }) {
  return (
    <a
      href={to}
      data-testid={testId}
      className={location.pathname === to ? 'here' : ''}
      onClick={(e) => go(e, to)}
    >
      {children}
    </a>
  );
}

export function App() {
  const [path, setPath] = useState(location.pathname);
  const me = useMe();
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const role = me?.user.role;
  return (
    <>
      <header className="top">
        <a href="/" className="brand" onClick={(e) => go(e, '/')}>
          <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true">
            <path
              fill="currentColor"
              d="M6 2h12v5l-4 5 4 5v5H6v-5l4-5-4-5V2zm2 2v2.3L12 11l4-4.7V4H8z"
            />
          </svg>{' '}
          Hourglass
        </a>
        <nav className="row">
          {role !== 'expert' && (
            <Link to="/experts" testId="nav-experts">
              Experts
            </Link>
          )}
          {role === 'client' && (
            <Link to="/sessions" testId="nav-sessions">
              Sessions
            </Link>
          )}
          {role === 'client' && (
            <Link to="/wallet" testId="nav-wallet">
              Wallet
            </Link>
          )}
          {role === 'expert' && (
            <Link to="/dashboard" testId="nav-dashboard">
              Dashboard
            </Link>
          )}
          {role === 'expert' && (
            <Link to="/sessions" testId="nav-sessions">
              Sessions
            </Link>
          )}
          {role === 'admin' && (
            <Link to="/admin" testId="nav-admin">
              Operations
            </Link>
          )}
          {me && <NotificationBell key={me.user.id} />}
          {me ? (
            <button
              className="link"
              data-testid="sign-out"
              onClick={() =>
                void api.call('logout', { body: {} }).finally(() => {
                  refreshMe();
                  go(null, '/');
                })
              }
            >
              Sign out
            </button>
          ) : (
            <a href="/docs">API docs</a>
          )}
        </nav>
      </header>
      <main>{route(path, me)}</main>
    </>
  );
}
