import type { SessionType } from '@hourglass/protocol';
import { sql } from 'kysely';
import type { Deps, Principal } from '../platform/context.ts';
import { hashPassword } from '../people/passwords.ts';
import { putSchedule } from '../booking/schedule.ts';
import { createUser } from '../people/service.ts';
import { createSession, reissueTokens } from '../sessions/service.ts';
import { adminCredit } from '../billing/wallet.ts';

export const DEMO_PASSWORD = 'hourglass-demo';
const ADMIN = { email: 'admin@demo.hourglass', name: 'Ada Admin', role: 'admin' as const };
const EXPERTS = [
  {
    email: 'aria@demo.hourglass',
    name: 'Aria Moon',
    bio: 'Vedic astrologer, 12 years of readings.',
    categories: ['astrology'],
    rates: { chat: 150, voice: 250, video: 350 },
    flatPrices: { '15': 2000, '30': 3500, '45': 5000, '60': 6500 },
  },
  {
    email: 'ben@demo.hourglass',
    name: 'Ben Torque',
    bio: 'Master mechanic: engines, brakes, diagnostics.',
    categories: ['mechanics'],
    rates: { chat: 100, voice: 200, video: 300 },
    flatPrices: { '15': 1500, '30': 2500, '45': 3500, '60': 4500 },
  },
];
const CLIENTS = [
  { email: 'cleo@demo.hourglass', name: 'Cleo Client' },
  { email: 'dan@demo.hourglass', name: 'Dan Client' },
];
/** Each demo client starts with this much in their wallet (minor units: $50.00). */
export const DEMO_CREDIT = 5000;

const SEED_LOCK = 0x4867_5364;

/** The demo experts' zones, in EXPERTS order: their weekly hours are wall-clock times there. */
const DEMO_ZONES = ['America/New_York', 'Europe/London'];

/**
 * Creates the demo people once; a second start finds them and does nothing. Each step is
 * idempotent (people found by email, credits by a fixed key), so a start that died half-way
 * through seeding is finished by the next one instead of failing on `email_taken`.
 */
export async function seedDemo(deps: Deps): Promise<{ seeded: boolean }> {
  const exists = await deps.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', ADMIN.email)
    .executeTakeFirst();
  if (exists) return { seeded: false };
  // Two nodes starting together must not both seed: the first takes the lock, the second sees the admin.
  return deps.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${SEED_LOCK})`.execute(conn);
    try {
      if (
        await conn
          .selectFrom('users')
          .select('id')
          .where('email', '=', ADMIN.email)
          .executeTakeFirst()
      )
        return { seeded: false };
      const password = await hashPassword(DEMO_PASSWORD);
      const ids: string[] = [];
      const d = { ...deps, db: conn };
      const root: Principal = { kind: 'apiKey', keyId: deps.ids.uuid() };
      const ensure = async (user: Parameters<typeof createUser>[2]) =>
        (
          await conn
            .selectFrom('users')
            .select('id')
            .where('email', '=', user.email)
            .executeTakeFirst()
        )?.id ?? (await createUser(d, root, user)).id;
      for (const c of CLIENTS) {
        const clientId = await ensure({ ...c, role: 'client' });
        ids.push(clientId);
        // A fixed key: the credit is one ledger transfer however often seeding is retried.
        await adminCredit(d, root, clientId, { amount: DEMO_CREDIT, key: 'demo-seed' });
      }
      for (const [i, { email, name, ...expert }] of EXPERTS.entries()) {
        const expertId = await ensure({
          email,
          name,
          role: 'expert',
          expert: { ...expert, avatarUrl: null },
        });
        ids.push(expertId);
        // Bookable hours, so the booking flow has open slots to show (each expert in their own zone).
        await putSchedule(d, root, expertId, {
          timeZone: DEMO_ZONES[i % DEMO_ZONES.length]!,
          weekly: [1, 2, 3, 4, 5]
            .map((weekday) => ({ weekday, start: '09:00', end: '17:00' }))
            .concat([{ weekday: 6, start: '10:00', end: '14:00' }]),
          overrides: [],
          bufferMinutes: 10,
          minNoticeMinutes: 60,
        });
      }
      // The admin last: its presence is what marks the seed as complete.
      await conn
        .updateTable('users')
        .set({ password_hash: password })
        .where('id', 'in', ids)
        .execute();
      await conn.updateTable('expert_profiles').set({ presence: 'online' }).execute();
      await conn
        .insertInto('users')
        .values({
          id: deps.ids.uuid(),
          role: 'admin',
          email: ADMIN.email,
          name: ADMIN.name,
          password_hash: password,
          created_at: await deps.clock.now(conn),
        })
        .execute();
      return { seeded: true };
    } finally {
      await sql`select pg_advisory_unlock(${SEED_LOCK})`.execute(conn).catch(() => undefined);
    }
  });
}

/**
 * One open on-demand demo session per type between the first client and the first expert, with
 * fresh join links at every start (tokens are stored hashed, so old ones cannot be printed again).
 */
export async function demoLinks(deps: Deps) {
  const [client, expert, admin] = await Promise.all(
    [CLIENTS[0]!.email, EXPERTS[0]!.email, ADMIN.email].map((email) =>
      deps.db
        .selectFrom('users')
        .select(['id', 'role'])
        .where('email', '=', email)
        .executeTakeFirstOrThrow(),
    ),
  );
  const operator: Principal = {
    kind: 'user',
    userId: admin!.id,
    role: 'admin',
    authSessionHash: '',
  };
  const out: { type: SessionType; client: string; expert: string }[] = [];
  for (const type of ['chat', 'voice', 'video'] as const) {
    const open = await deps.db
      .selectFrom('sessions')
      .select('id')
      .where('client_id', '=', client!.id)
      .where('expert_id', '=', expert!.id)
      .where('type', '=', type)
      .where('kind', '=', 'on_demand')
      .where('state', 'in', ['accepted', 'live'])
      .orderBy('id', 'desc')
      .executeTakeFirst();
    const links = open
      ? await reissueTokens(deps, operator, open.id)
      : (
          await createSession(deps, operator, {
            kind: 'on_demand',
            type,
            clientId: client!.id,
            expertId: expert!.id,
          })
        ).links;
    out.push({ type, client: links.client.url, expert: links.expert.url });
  }
  return out;
}

export function demoBanner(baseUrl: string, links: Awaited<ReturnType<typeof demoLinks>>): string {
  const people = [
    ADMIN,
    ...EXPERTS.map((e) => ({ ...e, role: 'expert' })),
    ...CLIENTS.map((c) => ({ ...c, role: 'client' })),
  ];
  return [
    '',
    `  Hourglass is running at ${baseUrl}   (API docs: ${baseUrl}/docs)`,
    '',
    `  Demo sign-ins (password "${DEMO_PASSWORD}"; clients start with ${(DEMO_CREDIT / 100).toFixed(2)} in their wallet):`,
    ...people.map((p) => `    ${p.role.padEnd(7)} ${p.email}`),
    '',
    '  Demo sessions (Cleo Client with Aria Moon): open the client link in one window, the expert link in another.',
    ...links.flatMap((l) => [
      `    ${l.type.padEnd(6)} client: ${l.client}`,
      `           expert: ${l.expert}`,
    ]),
    '',
  ].join('\n');
}
