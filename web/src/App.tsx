import { useEffect, useState } from 'react';
import { go } from './nav.ts';
import { ExpertPage } from './pages/ExpertPage.tsx';
import { Experts } from './pages/Experts.tsx';
import { Home } from './pages/Home.tsx';
import { Room } from './room/Room.tsx';

/** The few routes there are; the server answers index.html for each of them. */
function route(path: string) {
  const session = /^\/session\/([^/]+)$/.exec(path);
  if (session) return <Room token={decodeURIComponent(session[1]!)} />;
  const expert = /^\/experts\/([0-9a-f-]{36})$/.exec(path);
  if (expert) return <ExpertPage id={expert[1]!} />;
  if (path === '/experts') return <Experts />;
  return <Home />;
}

export function App() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return (
    <>
      <header className="top">
        <a href="/" className="brand">
          <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M6 2h12v5l-4 5 4 5v5H6v-5l4-5-4-5V2zm2 2v2.3L12 11l4-4.7V4H8z" /></svg> Hourglass
        </a>
        <nav className="row"><a href="/experts" onClick={(e) => go(e, '/experts')}>Experts</a><a href="/docs">API docs</a></nav>
      </header>
      <main>{route(path)}</main>
    </>
  );
}
