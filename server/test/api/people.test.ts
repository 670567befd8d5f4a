import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  PASSWORD,
  buildApiKey,
  buildClient,
  buildSignedIn,
} from '../../../test-support/factories.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';

describeOnDatabases('people and sign-in API', (target) => {
  let server: TestServer;
  /** Raw HTTP for the sign-in tests, which are about the wire: cookies, their flags, CSRF. */
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
    const { api: admin } = await buildSignedIn(server, 'admin');
    const created = await admin.call('createApiKey', { body: { name: 'host backend' } });
    const secret = created.secret;
    expect(secret).toMatch(/^hgk_/);
    const list = await admin.call('listApiKeys', {});
    expect(JSON.stringify(list)).not.toContain(secret);
    expect(list.items.some((k) => k.id === created.apiKey.id)).toBe(true);
    const row = await server.deps.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.apiKey.id)
      .executeTakeFirstOrThrow();
    expect(row.key_hash).not.toContain(secret.slice(4));

    const host = clientFor(server.url, { apiKey: secret });
    const client = await host.call('createUser', {
      body: { email: 'via-key@test.hourglass', name: 'K', role: 'client' },
    });
    const expert = await host.call('createUser', {
      body: {
        email: 'expert-via-key@test.hourglass',
        name: 'E',
        role: 'expert',
        expert: { rates: { chat: 120 } },
      },
    });
    const session = await host.call('createSession', {
      body: { kind: 'on_demand', type: 'chat', clientId: client.id, expertId: expert.id },
    });
    expect(session.session.state).toBe('accepted');
    const anAdmin = host.call('createUser', {
      body: { email: 'admin-via-key@test.hourglass', name: 'A', role: 'admin' },
    });
    expect((await refusal(anAdmin)).code).toBe('forbidden');

    // Revoking is idempotent.
    for (let i = 0; i < 2; i++)
      expect(await admin.call('revokeApiKey', { params: { id: created.apiKey.id } })).toBeNull();
    const after = await refusal(
      host.call('createUser', {
        body: { email: 'late@test.hourglass', name: 'L', role: 'client' },
      }),
    );
    expect([after.status, after.code]).toEqual([401, 'unauthenticated']);
  });

  it('creating a user twice with one email (even concurrently) gives email_taken once', async () => {
    const host = clientFor(server.url, { apiKey: await buildApiKey(server.deps) });
    const body = { email: 'twice@test.hourglass', name: 'T', role: 'client' } as const;
    const rs = await Promise.allSettled([1, 2, 3].map(() => host.call('createUser', { body })));
    expect(rs.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      rs.flatMap((r) => (r.status === 'rejected' ? [[r.reason.status, r.reason.code]] : [])),
    ).toEqual([
      [409, 'email_taken'],
      [409, 'email_taken'],
    ]);
  });

  it('A1: experts list publicly with rates and presence; an expert edits only their own profile', async () => {
    const { user, api: expert } = await buildSignedIn(server, 'expert');
    const patched = await expert.call('updateMyExpertProfile', {
      body: {
        bio: 'Tarot, 20 years',
        rates: { chat: 199, video: 499 },
        flatPrices: { '30': 4000 },
        presence: 'online',
        categories: ['tarot'],
      },
    });
    expect(patched).toMatchObject({
      id: user.id,
      bio: 'Tarot, 20 years',
      rates: { chat: 199, video: 499 },
      presence: 'online',
    });
    const pub = await clientFor(server.url).call('getExpert', { params: { id: user.id } });
    expect(pub).toMatchObject({
      rates: { chat: 199, video: 499 },
      flatPrices: { '30': 4000 },
      categories: ['tarot'],
    });
    expect(JSON.stringify(pub)).not.toContain('@');
    const client = await buildSignedIn(server, 'client');
    expect(
      (await refusal(client.api.call('updateMyExpertProfile', { body: { bio: 'x' } }))).code,
    ).toBe('forbidden');
  });

  it('B4-style pagination: experts come in pages with a cursor and none is repeated or lost', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await clientFor(
        server.url,
      ).call('listExperts', { query: { limit: 2, ...(cursor && { cursor }) } });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = await server.deps.db.selectFrom('expert_profiles').select('user_id').execute();
    expect(seen.sort()).toEqual(all.map((e) => e.user_id).sort());
  });
});
