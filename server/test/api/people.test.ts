import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  PASSWORD,
  buildApiKey,
  buildClient,
  buildSignedIn,
} from '../../../test-support/factories.ts';
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';

describeOnDatabases('people and sign-in API', (target) => {
  let server: TestServer;
  const api = (method: string, path: string, opts: Parameters<typeof call>[3] = {}) =>
    call(server.url, method, path, opts);

  beforeAll(async () => {
    server = await startServer(target, {
      LOGIN_MAX_FAILURES: '3',
      LOGIN_MAX_FAILURES_PER_IP: '1000',
    });
  });
  afterAll(() => server?.close());

  it('A2: sign-in sets an httpOnly SameSite cookie and a readable CSRF cookie; /api/me knows the user', async () => {
    const client = await buildClient(server.deps, { password: PASSWORD });
    const r = await api('POST', '/api/auth/login', {
      body: { email: client.email.toUpperCase(), password: PASSWORD },
    });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ id: client.id, role: 'client' });
    const cookies = r.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('hg_session='))!;
    const csrf = cookies.find((c) => c.startsWith('hg_csrf='))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);
    expect(csrf).not.toMatch(/HttpOnly/i);
    expect(decodeURIComponent(csrf.split(';')[0]!.split('=')[1]!)).toBe(r.body.csrfToken);
    const stored = await server.deps.db
      .selectFrom('auth_sessions')
      .select(['id_hash', 'csrf_hash'])
      .where('user_id', '=', client.id)
      .execute();
    expect(JSON.stringify(stored)).not.toContain(session.split(';')[0]!.split('=')[1]!);
    const me = await api('GET', '/api/me', { headers: { cookie: session.split(';')[0]! } });
    expect(me.body.user.id).toBe(client.id);
  });

  it('a wrong password and an unknown email get the same answer', async () => {
    const client = await buildClient(server.deps, { password: PASSWORD });
    const wrong = await api('POST', '/api/auth/login', {
      body: { email: client.email, password: 'wrong password' },
    });
    const unknown = await api('POST', '/api/auth/login', {
      body: { email: 'nobody@test.hourglass', password: 'wrong password' },
    });
    expect([wrong.status, errorCode(wrong)]).toEqual([401, 'invalid_credentials']);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('failed sign-ins are throttled per email until the window passes, then the right password works', async () => {
    const client = await buildClient(server.deps, { password: PASSWORD });
    for (let i = 0; i < 3; i++)
      await api('POST', '/api/auth/login', {
        body: { email: client.email, password: 'nope nope' },
      });
    const blocked = await api('POST', '/api/auth/login', {
      body: { email: client.email, password: PASSWORD },
    });
    expect([blocked.status, errorCode(blocked)]).toEqual([429, 'too_many_attempts']);
    expect(blocked.body.error.details.retryAfterSeconds).toBe(15 * 60);
    server.clock.advance(15 * 60_000 + 1);
    const ok = await api('POST', '/api/auth/login', {
      body: { email: client.email, password: PASSWORD },
    });
    expect(ok.status).toBe(200);
    server.clock.set('2026-03-02T12:00:00Z');
  });

  it('CSRF: a cookie-authenticated write without the token, or with a wrong one, is refused and changes nothing', async () => {
    const { headers } = await buildSignedIn(server, 'admin');
    const body = { email: 'csrf-victim@test.hourglass', name: 'V', role: 'client' };
    const none = await api('POST', '/api/users', { headers: { cookie: headers.cookie }, body });
    const wrong = await api('POST', '/api/users', {
      headers: { cookie: headers.cookie, 'x-csrf-token': 'hgc_forged' },
      body,
    });
    expect([none.status, errorCode(none)]).toEqual([403, 'csrf_failed']);
    expect(errorCode(wrong)).toBe('csrf_failed');
    expect(
      await server.deps.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', body.email)
        .executeTakeFirst(),
    ).toBeUndefined();
    const ok = await api('POST', '/api/users', { headers, body });
    expect(ok.status).toBe(201);
  });

  it('sign-out ends the cookie session; without a sign-in there is nothing to sign out of', async () => {
    const key = await buildApiKey(server.deps);
    expect(errorCode(await api('POST', '/api/auth/logout', {}))).toBe('unauthenticated');
    expect(
      errorCode(
        await api('POST', '/api/auth/logout', { headers: { authorization: `Bearer ${key}` } }),
      ),
    ).toBe('unauthenticated');
    const { headers } = await buildSignedIn(server, 'client');
    expect(
      errorCode(await api('POST', '/api/auth/logout', { headers: { cookie: headers.cookie } })),
    ).toBe('csrf_failed');
    expect((await api('POST', '/api/auth/logout', { headers })).status).toBe(204);
    expect(errorCode(await api('GET', '/api/me', { headers }))).toBe('unauthenticated');
  });

  it('A2: an API key is shown once, stored hashed, creates users and sessions, and stops working when revoked', async () => {
    const { headers } = await buildSignedIn(server, 'admin');
    const created = await api('POST', '/api/api-keys', { headers, body: { name: 'host backend' } });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^hgk_/);
    const list = await api('GET', '/api/api-keys', { headers });
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(list.body.items.some((k: { id: string }) => k.id === created.body.apiKey.id)).toBe(true);
    const row = await server.deps.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.body.apiKey.id)
      .executeTakeFirstOrThrow();
    expect(row.key_hash).not.toContain(secret.slice(4));

    const auth = { authorization: `Bearer ${secret}` };
    const client = await api('POST', '/api/users', {
      headers: auth,
      body: { email: 'via-key@test.hourglass', name: 'K', role: 'client' },
    });
    const expert = await api('POST', '/api/users', {
      headers: auth,
      body: {
        email: 'expert-via-key@test.hourglass',
        name: 'E',
        role: 'expert',
        expert: { rates: { chat: 120 } },
      },
    });
    expect([client.status, expert.status]).toEqual([201, 201]);
    const session = await api('POST', '/api/sessions', {
      headers: auth,
      body: { kind: 'on_demand', type: 'chat', clientId: client.body.id, expertId: expert.body.id },
    });
    expect(session.status).toBe(201);
    const admin = await api('POST', '/api/users', {
      headers: auth,
      body: { email: 'admin-via-key@test.hourglass', name: 'A', role: 'admin' },
    });
    expect(errorCode(admin)).toBe('forbidden');

    expect(
      (await api('DELETE', `/api/api-keys/${created.body.apiKey.id}`, { headers })).status,
    ).toBe(204);
    expect(
      (await api('DELETE', `/api/api-keys/${created.body.apiKey.id}`, { headers })).status,
    ).toBe(204);
    const after = await api('POST', '/api/users', {
      headers: auth,
      body: { email: 'late@test.hourglass', name: 'L', role: 'client' },
    });
    expect([after.status, errorCode(after)]).toEqual([401, 'unauthenticated']);
  });

  it('creating a user twice with one email (even concurrently) gives email_taken once', async () => {
    const key = await buildApiKey(server.deps);
    const body = { email: 'twice@test.hourglass', name: 'T', role: 'client' };
    const rs = await Promise.all(
      [1, 2, 3].map(() =>
        api('POST', '/api/users', { headers: { authorization: `Bearer ${key}` }, body }),
      ),
    );
    expect(rs.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(rs.filter((r) => r.status === 409).every((r) => errorCode(r) === 'email_taken')).toBe(
      true,
    );
  });

  it('A1: experts list publicly with rates and presence; an expert edits only their own profile', async () => {
    const { user, headers } = await buildSignedIn(server, 'expert');
    const patch = await api('PATCH', '/api/experts/me', {
      headers,
      body: {
        bio: 'Tarot, 20 years',
        rates: { chat: 199, video: 499 },
        flatPrices: { '30': 4000 },
        presence: 'online',
        categories: ['tarot'],
      },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({
      id: user.id,
      bio: 'Tarot, 20 years',
      rates: { chat: 199, video: 499 },
      presence: 'online',
    });
    const pub = await api('GET', `/api/experts/${user.id}`);
    expect(pub.body).toMatchObject({
      rates: { chat: 199, video: 499 },
      flatPrices: { '30': 4000 },
      categories: ['tarot'],
    });
    expect(JSON.stringify(pub.body)).not.toContain('@');
    const client = await buildSignedIn(server, 'client');
    expect(
      errorCode(
        await api('PATCH', '/api/experts/me', { headers: client.headers, body: { bio: 'x' } }),
      ),
    ).toBe('forbidden');
  });

  it('B4-style pagination: experts come in pages with a cursor and none is repeated or lost', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await api('GET', `/api/experts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.items.map((e: { id: string }) => e.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    const all = await server.deps.db.selectFrom('expert_profiles').select('user_id').execute();
    expect(seen.sort()).toEqual(all.map((e) => e.user_id).sort());
  });
});
