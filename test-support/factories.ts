import { randomBytes } from 'node:crypto';
import type { CreateUserBody } from '@hourglass/protocol';
import type { z } from 'zod';
import { createApiKey, createUser } from '../server/src/people/service.ts';
import type { Deps, Principal } from '../server/src/platform/context.ts';
import { createSession, joinSession } from '../server/src/sessions/service.ts';
import { adminCredit } from '../server/src/billing/wallet.ts';
import { randomIds } from '../server/src/platform/ids.ts';
import { clientFor } from './clients.ts';
import { call, type TestServer } from './server.ts';

/** A host platform's backend (an API key): trusted with any object. */
export const operator: Principal = { kind: 'apiKey', keyId: randomIds.uuid() };
const unique = () => randomBytes(4).toString('hex');

export function buildUser(deps: Deps, overrides: Partial<z.input<typeof CreateUserBody>> = {}) {
  const role = overrides.role ?? 'client';
  return createUser(deps, operator, {
    email: `${role}-${unique()}@test.hourglass`,
    name: `${role} ${unique()}`,
    role,
    ...overrides,
  } as z.output<typeof CreateUserBody>);
}

export const buildClient = (deps: Deps, o: Partial<z.input<typeof CreateUserBody>> = {}) =>
  buildUser(deps, { ...o, role: 'client' });

/** Puts `amount` into a client's wallet (an operator's credit). */
export const fund = (deps: Deps, clientId: string, amount: number) =>
  adminCredit(deps, operator, clientId, { amount, key: randomIds.uuid() });

export const buildExpert = (deps: Deps, o: Partial<z.input<typeof CreateUserBody>> = {}) =>
  buildUser(deps, {
    role: 'expert',
    expert: {
      bio: 'Test expert',
      avatarUrl: null,
      categories: ['testing'],
      rates: { chat: 100, voice: 200, video: 300 },
      flatPrices: { '15': 1500, '30': 2500, '45': 3500, '60': 4500 },
    },
    ...o,
  });

/** An admin, created directly (API keys may not create admins). */
export async function buildAdmin(deps: Deps, password?: string) {
  const admin = {
    kind: 'user',
    userId: randomIds.uuid(),
    role: 'admin',
    authSessionHash: '',
  } as const;
  return createUser(deps, admin, {
    email: `admin-${unique()}@test.hourglass`,
    name: 'Admin',
    role: 'admin',
    password,
  } as never);
}

export async function buildSession(
  deps: Deps,
  o: {
    type?: 'chat' | 'voice' | 'video';
    kind?: 'scheduled' | 'on_demand';
    scheduledAt?: Date;
    durationMinutes?: 15 | 30 | 45 | 60;
    credit?: number;
    /** An existing client (a second session on the same wallet); a new one by default. */
    client?: Awaited<ReturnType<typeof buildClient>>;
    /** An existing expert (one signed in elsewhere in the test); a new one by default. */
    expert?: Awaited<ReturnType<typeof buildExpert>>;
  } = {},
) {
  const [client, expert] = await Promise.all([
    o.client ?? buildClient(deps),
    o.expert ?? buildExpert(deps),
  ]);
  const credit = o.credit ?? 10_000;
  if (credit > 0) await adminCredit(deps, operator, client.id, { amount: credit, key: 'factory' });
  const kind = o.kind ?? 'on_demand';
  const now = await deps.clock.now(deps.db);
  const created = await createSession(deps, operator, {
    kind,
    type: o.type ?? 'chat',
    clientId: client.id,
    expertId: expert.id,
    ...(kind === 'scheduled' && {
      scheduledAt: (o.scheduledAt ?? new Date(now.getTime() + 3_600_000)).toISOString(),
      durationMinutes: o.durationMinutes ?? 30,
    }),
  });
  return { ...created, client, expert };
}

export async function buildApiKey(deps: Deps) {
  const admin = await buildAdmin(deps);
  return (
    await createApiKey(
      deps,
      { kind: 'user', userId: admin.id, role: 'admin', authSessionHash: '' },
      'test',
    )
  ).secret;
}

/** Signs in over HTTP; returns headers that authenticate reads and writes (cookie + CSRF). */
export async function signIn(server: TestServer, email: string, password: string) {
  const r = await call(server.url, 'POST', '/api/auth/login', { body: { email, password } });
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${JSON.stringify(r.body)}`);
  const cookies = r.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { cookie: cookies, 'x-csrf-token': r.body.csrfToken as string };
}

export const PASSWORD = 'correct horse battery';

/** A signed-in user: who, the headers a raw request needs, and the SDK's client as them (`api`). */
export async function buildSignedIn(server: TestServer, role: 'client' | 'expert' | 'admin') {
  const deps = server.deps;
  const user =
    role === 'admin'
      ? await buildAdmin(deps, PASSWORD)
      : role === 'expert'
        ? await buildExpert(deps, { password: PASSWORD })
        : await buildClient(deps, { password: PASSWORD });
  const headers = await signIn(server, user.email, PASSWORD);
  return { user, headers, api: clientFor(server.url, headers) };
}

/** Both participants join `s` with their own principal (as their join links would). */
export async function joinBoth(
  deps: Deps,
  s: { session: { id: string }; client: { id: string }; expert: { id: string } },
) {
  for (const role of ['client', 'expert'] as const) {
    const userId = role === 'client' ? s.client.id : s.expert.id;
    await joinSession(
      deps,
      { kind: 'participant', sessionId: s.session.id, userId, role },
      s.session.id,
    );
  }
}

/** A session both have joined: live (on demand: minute 1 charged), unless the wallet could not pay. */
export async function buildLiveSession(deps: Deps, o: Parameters<typeof buildSession>[1] = {}) {
  const s = await buildSession(deps, o);
  await joinBoth(deps, s);
  return s;
}
