import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { go } from '../nav.ts';

type Me = Awaited<ReturnType<typeof api.call<'me'>>>;

/** Sign-in, or who is signed in. (The directory, booking and dashboards come next.) */
export function Home() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.call('me').then(setMe, () => setMe(null));
  }, []);

  async function signIn(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    try {
      await api.call('login', { body: { email: String(form.get('email')), password: String(form.get('password')) } });
      setMe(await api.call('me'));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  if (me === undefined) return <p className="muted">Loading…</p>;
  if (me) {
    return (
      <div className="card">
        <h2>Signed in as {me.user.name}</h2>
        <p className="muted">{me.user.role} · {me.user.email}</p>
        <p><a href="/experts" onClick={(e) => go(e, '/experts')} data-testid="to-experts">Find an expert and book a session</a></p>
        <button className="secondary" onClick={() => void api.call('logout', { body: {} }).then(() => setMe(null))}>Sign out</button>
      </div>
    );
  }
  return (
    <>
      <form className="card" onSubmit={(e) => void signIn(e)}>
        <h2>Sign in</h2>
        <input name="email" type="email" placeholder="email" autoComplete="username" required />
        <input name="password" type="password" placeholder="password" autoComplete="current-password" required />
        <button type="submit">Sign in</button>
        {error && <p className="error">{error}</p>}
      </form>
      <p className="muted">The demo sign-ins and session links are printed by npm start.</p>
    </>
  );
}
