// Placeholder until the web-app issue: sign-in, and the session page behind a join link.
// Every user-supplied string goes through textContent, never innerHTML.
const app = document.getElementById('app');
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k.startsWith('on') ? node.addEventListener(k.slice(2), v) : node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};
async function api(method, path, { body, token } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers['x-join-token'] = token;
  const csrf = document.cookie.match(/(?:^|; )hg_csrf=([^;]+)/)?.[1];
  if (csrf) headers['x-csrf-token'] = decodeURIComponent(csrf);
  const res = await fetch(path, { method, headers, body: method === 'GET' ? undefined : JSON.stringify(body ?? {}) });
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw Object.assign(new Error(data.error.message), { code: data.error.code });
  return data;
}
const fmt = (s) => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

async function home() {
  const out = el('p', { class: 'muted' });
  let me = null;
  try { me = await api('GET', '/api/me'); } catch { /* signed out */ }
  if (me) {
    app.replaceChildren(el('div', { class: 'card' }, el('h2', {}, `Signed in as ${me.user.name}`), el('p', { class: 'muted' }, `${me.user.role} · ${me.user.email}`),
      el('button', { class: 'secondary', onclick: async () => { await api('POST', '/api/auth/logout'); location.reload(); } }, 'Sign out')));
    return;
  }
  const email = el('input', { type: 'email', placeholder: 'email', autocomplete: 'username' });
  const password = el('input', { type: 'password', placeholder: 'password', autocomplete: 'current-password' });
  const form = el('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    try { await api('POST', '/api/auth/login', { body: { email: email.value, password: password.value } }); location.reload(); }
    catch (err) { out.className = 'error'; out.textContent = err.message; }
  } }, el('h2', {}, 'Sign in'), email, password, el('button', { type: 'submit' }, 'Sign in'), out);
  app.replaceChildren(form, el('p', { class: 'muted' }, 'The demo sign-ins and session links are printed by npm start.'));
}

async function room(token) {
  let check;
  try { check = await api('GET', `/api/sessions/validate?token=${encodeURIComponent(token)}`); }
  catch (err) { app.replaceChildren(el('div', { class: 'card' }, el('h2', {}, 'This link does not work'), el('p', { class: 'error' }, err.message))); return; }
  const { participant, counterpart } = check;
  let session = check.session;
  let offset = Date.parse(session.serverNow) - Date.now();
  const state = el('p'), timer = el('div', { class: 'timer' }), msg = el('p', { class: 'muted' });
  const join = el('button', { onclick: () => act('join') }, 'Join');
  const end = el('button', { class: 'secondary', onclick: () => act('end') }, 'End session');
  const caps = Object.entries(session.capabilities).filter(([, v]) => v).map(([k]) => k).join(', ');
  app.replaceChildren(el('div', { class: 'card' },
    el('h2', {}, `${session.type} session with ${counterpart.name}`),
    el('p', { class: 'muted' }, `You are the ${participant.role} (${participant.name}). This room carries: ${caps}.`),
    state, timer, el('div', { class: 'row' }, join, end), msg));
  async function act(what) {
    try { session = await api('POST', `/api/sessions/${session.id}/${what}`, { token }); offset = Date.parse(session.serverNow) - Date.now(); msg.textContent = ''; }
    catch (err) { msg.className = 'error'; msg.textContent = err.message; }
    render();
  }
  function render() {
    const now = Date.now() + offset;
    state.textContent = `State: ${session.state}${session.endReason ? ` (${session.endReason})` : ''}`;
    const joined = participant.role === 'client' ? session.clientJoinedAt : session.expertJoinedAt;
    join.disabled = Boolean(joined) || !['accepted', 'booked', 'open', 'live'].includes(session.state);
    end.disabled = session.state !== 'live';
    if (session.startedAt) {
      const stop = session.endedAt ? Date.parse(session.endedAt) : now;
      const elapsed = (stop - Date.parse(session.startedAt)) / 1000;
      timer.textContent = session.endsAt ? `${fmt(elapsed)} / remaining ${fmt(Math.max(0, (Date.parse(session.endsAt) - now) / 1000))}` : fmt(elapsed);
    } else timer.textContent = 'Waiting for both to join';
  }
  render();
  setInterval(render, 500);
  // Until the realtime gateway exists, the page polls the status.
  setInterval(async () => { try { session = await api('GET', `/api/sessions/${session.id}`, { token }); offset = Date.parse(session.serverNow) - Date.now(); } catch { /* keep last */ } }, 2000);
}

const m = location.pathname.match(/^\/session\/([^/]+)$/);
if (m) room(decodeURIComponent(m[1])); else home();
