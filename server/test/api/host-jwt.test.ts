import { exportSPKI, importJWK, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient } from '../../../sdk/src/client.ts';
import type { HourglassError } from '../../../sdk/src/errors.ts';
import { UserChannel } from '../../../sdk/src/user-channel.ts';
import { clientFor, refusal } from '../../../test-support/clients.ts';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildApiKey, buildClient } from '../../../test-support/factories.ts';
import { hostKey, startHostIdp, type HostIdp, type HostKey } from '../../../test-support/jwks.ts';
import { startServer, type TestServer } from '../../../test-support/server.ts';

const ISSUER = 'https://astro.example';
const AUDIENCE = 'hourglass';

/** A2: a host platform's users, signed in by the host's own JWTs (verified against its JWKS). */
describeOnDatabases('host platform sign-in (JWT)', (target) => {
  let server: TestServer;
  let idp: HostIdp;
  let rsa: HostKey;
  let ec: HostKey;
  let ed: HostKey;
  const now = () => server.clock.now();
  const token = async (claims: JWTPayload, key = rsa, ttlS?: number) =>
    idp.sign(key, claims, { now: await now(), ...(ttlS !== undefined && { ttlS }) });
  const as = (jwt: string) => createClient({ baseUrl: server.url, hostToken: () => jwt });
  const identities = (subject: string) =>
    server.deps.db
      .selectFrom('host_identities')
      .selectAll()
      .where('issuer', '=', ISSUER)
      .where('subject', '=', subject)
      .execute();

  beforeAll(async () => {
    idp = await startHostIdp({ issuer: ISSUER, audience: AUDIENCE });
    [rsa, ec, ed] = await Promise.all([
      hostKey('RS256', 'rsa-1'),
      hostKey('ES256', 'ec-1'),
      hostKey('EdDSA', 'ed-1'),
    ]);
    idp.publish(rsa, ec, ed);
    server = await startServer(target, {
      ...idp.env,
      HOST_JWT_JWKS_COOLDOWN_MS: '0',
      HOST_JWT_JWKS_TIMEOUT_MS: '500',
    });
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });

  it("a host's user is made on first sight, is the same user after, and follows the claims", async () => {
    const first = await as(
      await token({ sub: 'u-1', name: 'Vera', email: 'Vera@Astro.example' }),
    ).call('me', {});
    expect(first.user).toMatchObject({ role: 'client', name: 'Vera', email: 'vera@astro.example' });
    const again = await as(await token({ sub: 'u-1', name: 'Vera Lane' })).call('me', {});
    expect(again.user).toMatchObject({ id: first.user.id, name: 'Vera Lane' });
    expect(await identities('u-1')).toEqual([expect.objectContaining({ user_id: first.user.id })]);
    // A signed-in client's writes, without a CSRF token: a bearer token is not sent by itself.
    const jwt = await token({ sub: 'u-1', name: 'Vera Lane' });
    expect(await as(jwt).call('topUp', { body: { amount: 500 } })).toMatchObject({ amount: 500 });
    expect(await as(jwt).call('wallet', {})).toMatchObject({ balance: 500 });
    // The role claim makes an expert, who edits their own profile.
    const expert = as(await token({ sub: 'e-1', name: 'Orion', role: 'expert' }));
    const profile = await expert.call('updateMyExpertProfile', { body: { rates: { chat: 150 } } });
    expect(profile).toMatchObject({ name: 'Orion', rates: { chat: 150 } });
  });

  it('RS256, ES256 and EdDSA are accepted; none, HS256 with the public key, another issuer or audience, an expired or not yet valid token and an unknown key are not', async () => {
    for (const key of [rsa, ec, ed])
      expect((await as(await token({ sub: `alg-${key.alg}` }, key)).call('me', {})).user.role).toBe(
        'client',
      );
    const t0 = Math.floor((await now()).getTime() / 1000);
    const claims = { sub: 'mallory', iss: ISSUER, aud: AUDIENCE, iat: t0, exp: t0 + 600 };
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(claims)}.AA`;
    const pem = await exportSPKI((await importJWK(rsa.jwk, 'RS256')) as CryptoKey);
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .sign(new TextEncoder().encode(pem));
    const stranger = await hostKey('RS256', 'not-published');
    const early = await new SignJWT({ ...claims, nbf: t0 + 60 })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .sign(rsa.privateKey);
    const forged = [
      none,
      hs256,
      await new SignJWT({ ...claims, iss: 'https://other.example' })
        .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
        .sign(rsa.privateKey),
      await new SignJWT({ ...claims, aud: 'someone-else' })
        .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
        .sign(rsa.privateKey),
      await token({ sub: 'late' }, rsa, -1),
      await token({ sub: 'mallory' }, stranger),
      early,
    ];
    for (const jwt of forged) {
      const r = await refusal(as(jwt).call('me', {}));
      expect([r.status, r.code]).toEqual([401, 'unauthenticated']);
    }
    // A host cannot mint an operator: operators are made inside Hourglass.
    const admin = await refusal(as(await token({ sub: 'boss', role: 'admin' })).call('me', {}));
    expect(admin.code).toBe('forbidden');
    expect(await identities('mallory')).toEqual([]);
    expect(await identities('boss')).toEqual([]);
  });

  it('a rotated key is fetched when its key id is first seen; known keys are not fetched again', async () => {
    await as(await token({ sub: 'cache-1' })).call('me', {});
    const before = idp.fetches;
    for (let i = 0; i < 5; i++) await as(await token({ sub: 'cache-1' })).call('me', {});
    expect(idp.fetches).toBe(before);
    const next = await hostKey('ES256', 'ec-2');
    idp.publish(rsa, next, ed);
    expect((await as(await token({ sub: 'cache-1' }, next)).call('me', {})).user.role).toBe(
      'client',
    );
    expect(idp.fetches).toBe(before + 1);
    idp.publish(rsa, ec, ed);
  });

  it("an email already in use is not taken over: the host's user gets an account of their own", async () => {
    const owner = await buildClient(server.deps, { email: 'taken@astro.example' });
    const me = await as(await token({ sub: 'u-taken', email: 'taken@astro.example' })).call(
      'me',
      {},
    );
    expect(me.user.id).not.toBe(owner.id);
    expect(me.user.email).toMatch(/@host-users\.invalid$/);
  });

  it('many first requests of one new user at once make one user', async () => {
    const jwt = await token({ sub: 'racer', name: 'Racer' });
    const ids = await Promise.all(
      Array.from({ length: 8 }, async () => (await as(jwt).call('me', {})).user.id),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await identities('racer')).toHaveLength(1);
  });

  it('a disabled user is refused; a key set that does not answer is a 503, not a sign-out', async () => {
    const jwt = await token({ sub: 'to-disable' });
    const { user } = await as(jwt).call('me', {});
    const host = clientFor(server.url, { apiKey: await buildApiKey(server.deps) });
    await host.call('disableUser', { params: { id: user.id }, body: {} });
    expect((await refusal(as(jwt).call('me', {}))).code).toBe('user_disabled');
    await host.call('enableUser', { params: { id: user.id }, body: {} });

    const unseen = await hostKey('RS256', 'rsa-unseen');
    idp.hang(true);
    try {
      const r = await refusal(as(await token({ sub: 'to-disable' }, unseen)).call('me', {}));
      expect([r.status, r.code]).toEqual([503, 'unavailable']);
    } finally {
      idp.hang(false);
    }
  });

  it('the realtime user channel opens with the token, closes when it expires and reopens with a fresh one', async () => {
    let asked = 0;
    const channel = new UserChannel({
      baseUrl: server.url,
      // The first token expires two seconds after the server's now; the next ones are good.
      hostToken: () => {
        asked++;
        return token({ sub: 'live-1' }, rsa, asked === 1 ? 2 : 600);
      },
    });
    const states: boolean[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        channel.on('failed', (f) => reject(new Error(f.message)));
        channel.on('connected', (up) => {
          states.push(up);
          if (states.length === 3) resolve();
        });
      });
      expect([states, asked]).toEqual([[true, false, true], 2]);
      // Reopened, it is this user's channel: their notifications arrive on it.
      const heard = new Promise((r) => channel.on('notification', r));
      await as(await token({ sub: 'live-1' })).call('topUp', { body: { amount: 700 } });
      expect(await heard).toMatchObject({ kind: 'wallet_credited', data: { amount: 700 } });
    } finally {
      channel.close();
    }
  });
});

describeOnDatabases('host platform keys: rotation, withdrawal, the refetch limit', (target) => {
  let idp: HostIdp;
  const servers: TestServer[] = [];
  const serve = async (env: Record<string, string>) => {
    const s = await startServer(target, { ...idp.env, ...env });
    servers.push(s);
    return s;
  };
  /** `ok`, or the refusal's code, for a token of `key` on server `s`. */
  const as = async (s: TestServer, key: HostKey) => {
    const jwt = await idp.sign(key, { sub: 'rotating' }, { now: await s.clock.now() });
    return createClient({ baseUrl: s.url, hostToken: () => jwt })
      .call('me', {})
      .then(
        () => 'ok',
        (e: HourglassError) => e.code,
      );
  };
  beforeAll(async () => {
    idp = await startHostIdp({ issuer: ISSUER, audience: AUDIENCE });
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await idp?.close();
  });

  it('the old key works beside the new one until the host withdraws it; then it is refused once the set is fetched again', async () => {
    const [old, next] = [await hostKey('RS256', 'old'), await hostKey('RS256', 'new')];
    idp.publish(old);
    // Trusting the set for no time: every check fetches it (a withdrawal shows at once).
    const s = await serve({ HOST_JWT_JWKS_CACHE_MS: '0', HOST_JWT_JWKS_COOLDOWN_MS: '0' });
    expect(await as(s, old)).toBe('ok');
    idp.publish(old, next);
    expect([await as(s, next), await as(s, old)]).toEqual(['ok', 'ok']);
    idp.publish(next);
    expect([await as(s, next), await as(s, old)]).toEqual(['ok', 'unauthenticated']);
  });

  it('an unknown key id fetches the set at most once per cooldown: a flood of forged key ids costs one fetch', async () => {
    const [known, unknown] = [await hostKey('ES256', 'known'), await hostKey('ES256', 'forged')];
    idp.publish(known);
    const s = await serve({ HOST_JWT_JWKS_COOLDOWN_MS: '600000' });
    expect(await as(s, known)).toBe('ok');
    const fetched = idp.fetches;
    for (let i = 0; i < 5; i++) expect(await as(s, unknown)).toBe('unauthenticated');
    expect(idp.fetches).toBe(fetched);
  });
});

describeOnDatabases('host platform sign-in, not configured', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  it('a JWT is refused, and makes no one', async () => {
    const idp = await startHostIdp({ issuer: ISSUER, audience: AUDIENCE });
    try {
      const key = await hostKey('RS256', 'k');
      idp.publish(key);
      const jwt = await idp.sign(key, { sub: 'nobody' }, { now: await server.clock.now() });
      const r = await refusal(
        createClient({ baseUrl: server.url, hostToken: () => jwt }).call('me', {}),
      );
      expect(r.code).toBe('unauthenticated');
      expect(idp.fetches).toBe(0);
      expect(await server.deps.db.selectFrom('host_identities').selectAll().execute()).toEqual([]);
    } finally {
      await idp.close();
    }
  });
});
