import type { ErrorCode } from '@hourglass/protocol';
import { endpoints } from '@hourglass/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import {
  PASSWORD,
  buildApiKey,
  buildClient,
  buildExpert,
  buildSignedIn,
  fund,
  signIn,
} from '../../../test-support/factories.ts';
import { hostKey, startHostIdp, type HostIdp, type HostKey } from '../../../test-support/jwks.ts';
import { createPayout } from '../../src/billing/earnings.ts';
import { createSlot } from '../../src/booking/schedule.ts';
import { settleEscrow } from '../../src/billing/escrow-service.ts';
import { createSubscription } from '../../src/notify/webhooks.ts';
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';
import { hashSecret, randomIds } from '../../src/platform/ids.ts';
import { createSession, endSession, joinSession } from '../../src/sessions/service.ts';

/**
 * Every endpoint that touches an object, against every kind of caller (A3; docs/ARCHITECTURE.md "Credentials and principals"). Each
 * cell runs on a fresh session so that one cell's effect cannot decide another's outcome.
 */
const callers = [
  'clientToken',
  'expertToken',
  'clientCookie',
  'expertCookie',
  'otherClient',
  'otherExpert',
  'admin',
  'apiKey',
  'anonymous',
  'expiredToken',
  'revokedToken',
  'otherSessionToken',
] as const;
type Caller = (typeof callers)[number];
/**
 * A host platform's JWT (HOST_JWT_*) for the session's client and for its expert: the same
 * users as the sign-in cookies, so each must get exactly what that cookie gets.
 */
const hostJwtCallers = { clientJwt: 'clientCookie', expertJwt: 'expertCookie' } as const;
const ISSUER = 'https://host.example';
type Outcome = 'ok' | ErrorCode;

const participants = {
  clientToken: 'ok',
  expertToken: 'ok',
  clientCookie: 'ok',
  expertCookie: 'ok',
} as const;
const tokenTrouble = {
  expiredToken: 'token_expired',
  revokedToken: 'token_revoked',
  otherSessionToken: 'forbidden',
} as const;
const noTokens = {
  clientToken: 'unauthenticated',
  expertToken: 'unauthenticated',
  expiredToken: 'unauthenticated',
  revokedToken: 'unauthenticated',
  otherSessionToken: 'unauthenticated',
} as const;
const strangers = { otherClient: 'forbidden', otherExpert: 'forbidden' } as const;

const readers: Record<Caller, Outcome> = {
  ...participants,
  ...strangers,
  admin: 'ok',
  apiKey: 'ok',
  anonymous: 'unauthenticated',
  ...tokenTrouble,
};
const operatorsOnly: Record<Caller, Outcome> = {
  ...noTokens,
  clientCookie: 'forbidden',
  expertCookie: 'forbidden',
  ...strangers,
  admin: 'ok',
  apiKey: 'ok',
  anonymous: 'unauthenticated',
};
const adminOnly: Record<Caller, Outcome> = { ...operatorsOnly, apiKey: 'unauthenticated' };
/** Cookie-only endpoints for one kind of user, on their own data. */
const signedIn = (role: 'client' | 'expert'): Record<Caller, Outcome> => ({
  ...noTokens,
  clientCookie: role === 'client' ? 'ok' : 'forbidden',
  otherClient: role === 'client' ? 'ok' : 'forbidden',
  expertCookie: role === 'expert' ? 'ok' : 'forbidden',
  otherExpert: role === 'expert' ? 'ok' : 'forbidden',
  admin: 'forbidden',
  apiKey: 'unauthenticated',
  anonymous: 'unauthenticated',
});

/**
 * A client's own wallet: signed in, or by any live join link of theirs (the in-room top-up). The
 * "other session" token here is the same client's link to another session: their wallet still.
 */
const clientWallet: Record<Caller, Outcome> = {
  ...signedIn('client'),
  clientToken: 'ok',
  expertToken: 'forbidden',
  ...tokenTrouble,
  otherSessionToken: 'ok',
};

/** An expert's own availability: that expert (signed in), or an operator. */
const expertOrOperators: Record<Caller, Outcome> = { ...operatorsOnly, expertCookie: 'ok' };
let slotHour = 0;
const nextSlotTime = () =>
  new Date(Date.parse('2026-04-01T00:00:00Z') + slotHour++ * 3_600_000).toISOString();

type Mode = 'accepted' | 'live' | 'booked' | 'completed';

interface Case {
  name: keyof typeof endpoints;
  mode?: Mode;
  request: (f: Fixture) => { method: string; path: string; body?: unknown };
  expect: Record<Caller, Outcome>;
}

interface Fixture {
  sessionId: string;
  clientId: string;
  expertId: string;
  apiKeyId: string;
  payoutId: string;
  slotId: string;
  webhookId: string;
  deliveryId: string;
  fileId: string;
  victimId: string;
}

const cases: Case[] = [
  {
    name: 'getSession',
    request: (f) => ({ method: 'GET', path: `/api/sessions/${f.sessionId}` }),
    expect: readers,
  },
  {
    name: 'sessionEvents',
    request: (f) => ({ method: 'GET', path: `/api/sessions/${f.sessionId}/events` }),
    expect: readers,
  },
  {
    name: 'joinSession',
    request: (f) => ({ method: 'POST', path: `/api/sessions/${f.sessionId}/join`, body: {} }),
    expect: {
      ...readers,
      clientCookie: 'unauthenticated',
      expertCookie: 'unauthenticated',
      otherClient: 'unauthenticated',
      otherExpert: 'unauthenticated',
      admin: 'unauthenticated',
      apiKey: 'unauthenticated',
    },
  },
  {
    name: 'endSession',
    mode: 'live',
    request: (f) => ({ method: 'POST', path: `/api/sessions/${f.sessionId}/end`, body: {} }),
    expect: readers,
  },
  {
    name: 'cancelSession',
    request: (f) => ({ method: 'POST', path: `/api/sessions/${f.sessionId}/cancel`, body: {} }),
    expect: readers,
  },
  {
    // The live fixture is on demand: the client passes authorization and meets the rule that only scheduled sessions are extended.
    name: 'extendSession',
    mode: 'live',
    request: (f) => ({
      method: 'POST',
      path: `/api/sessions/${f.sessionId}/extensions`,
      body: { minutes: 5 },
    }),
    expect: {
      ...readers,
      clientToken: 'invalid_transition',
      clientCookie: 'invalid_transition',
      expertToken: 'forbidden',
      expertCookie: 'forbidden',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
    },
  },
  {
    name: 'rateSession',
    mode: 'completed',
    request: (f) => ({
      method: 'POST',
      path: `/api/sessions/${f.sessionId}/rating`,
      body: { stars: 5 },
    }),
    expect: {
      ...readers,
      expertToken: 'forbidden',
      expertCookie: 'forbidden',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
    },
  },
  {
    name: 'getSummary',
    mode: 'completed',
    request: (f) => ({ method: 'GET', path: `/api/sessions/${f.sessionId}/summary` }),
    expect: readers,
  },
  {
    name: 'putSummary',
    mode: 'completed',
    request: (f) => ({
      method: 'PUT',
      path: `/api/sessions/${f.sessionId}/summary`,
      body: { text: 'We covered the chart.' },
    }),
    expect: {
      ...readers,
      clientToken: 'forbidden',
      clientCookie: 'forbidden',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
    },
  },
  // Private notes: each participant's own; not even an operator reads them.
  {
    name: 'getMyNotes',
    request: (f) => ({ method: 'GET', path: `/api/sessions/${f.sessionId}/notes` }),
    expect: { ...readers, admin: 'forbidden', apiKey: 'unauthenticated' },
  },
  {
    name: 'putMyNotes',
    request: (f) => ({
      method: 'PUT',
      path: `/api/sessions/${f.sessionId}/notes`,
      body: { text: 'ask about Saturn' },
    }),
    expect: { ...readers, admin: 'forbidden', apiKey: 'unauthenticated' },
  },
  // A session's files: its two participants only, not even an operator.
  {
    name: 'listFiles',
    request: (f) => ({ method: 'GET', path: `/api/sessions/${f.sessionId}/files` }),
    expect: { ...readers, admin: 'forbidden', apiKey: 'unauthenticated' },
  },
  {
    name: 'fileLink',
    request: (f) => ({
      method: 'POST',
      path: `/api/sessions/${f.sessionId}/files/${f.fileId}/link`,
      body: {},
    }),
    expect: { ...readers, admin: 'forbidden', apiKey: 'unauthenticated' },
  },
  {
    name: 'reissueTokens',
    request: (f) => ({ method: 'POST', path: `/api/sessions/${f.sessionId}/tokens`, body: {} }),
    expect: operatorsOnly,
  },
  {
    name: 'revokeToken',
    request: (f) => ({
      method: 'POST',
      path: `/api/sessions/${f.sessionId}/tokens/revoke`,
      body: { role: 'client' },
    }),
    expect: operatorsOnly,
  },
  {
    name: 'createSession',
    request: () => ({ method: 'POST', path: '/api/sessions', body: undefined }),
    expect: operatorsOnly,
  },
  {
    name: 'getUser',
    request: (f) => ({ method: 'GET', path: `/api/users/${f.clientId}` }),
    expect: { ...operatorsOnly, clientCookie: 'ok' },
  },
  {
    name: 'createUser',
    request: () => ({
      method: 'POST',
      path: '/api/users',
      body: { email: `u${Math.random()}@t.hourglass`.replace('0.', ''), name: 'N', role: 'client' },
    }),
    expect: operatorsOnly,
  },
  // A fresh client per cell: disabling the matrix's own client would end its sign-ins mid-run.
  {
    name: 'disableUser',
    request: (f) => ({ method: 'POST', path: `/api/users/${f.victimId}/disable`, body: {} }),
    expect: operatorsOnly,
  },
  {
    name: 'enableUser',
    request: (f) => ({ method: 'POST', path: `/api/users/${f.victimId}/enable`, body: {} }),
    expect: operatorsOnly,
  },
  {
    name: 'createApiKey',
    request: () => ({ method: 'POST', path: '/api/api-keys', body: { name: 'k' } }),
    expect: adminOnly,
  },
  {
    name: 'listApiKeys',
    request: () => ({ method: 'GET', path: '/api/api-keys' }),
    expect: adminOnly,
  },
  {
    name: 'revokeApiKey',
    request: (f) => ({ method: 'DELETE', path: `/api/api-keys/${f.apiKeyId}` }),
    expect: adminOnly,
  },
  {
    name: 'me',
    request: () => ({ method: 'GET', path: '/api/me' }),
    expect: {
      ...noTokens,
      clientCookie: 'ok',
      expertCookie: 'ok',
      otherClient: 'ok',
      otherExpert: 'ok',
      admin: 'ok',
      apiKey: 'unauthenticated',
      anonymous: 'unauthenticated',
    },
  },
  {
    name: 'updateMyExpertProfile',
    request: () => ({ method: 'PATCH', path: '/api/experts/me', body: { bio: 'mine' } }),
    expect: {
      ...noTokens,
      clientCookie: 'forbidden',
      expertCookie: 'ok',
      otherClient: 'forbidden',
      otherExpert: 'ok',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
      anonymous: 'unauthenticated',
    },
  },
  {
    name: 'noShow',
    mode: 'booked',
    request: (f) => ({
      method: 'POST',
      path: `/api/sessions/${f.sessionId}/no-show`,
      body: { absent: 'expert' },
    }),
    expect: operatorsOnly,
  },
  { name: 'wallet', request: () => ({ method: 'GET', path: '/api/wallet' }), expect: clientWallet },
  {
    name: 'walletHistory',
    request: () => ({ method: 'GET', path: '/api/wallet/transactions' }),
    expect: signedIn('client'),
  },
  {
    name: 'topUp',
    request: () => ({ method: 'POST', path: '/api/wallet/top-ups', body: { amount: 500 } }),
    expect: clientWallet,
  },
  {
    name: 'adminCredit',
    request: (f) => ({
      method: 'POST',
      path: `/api/admin/wallets/${f.clientId}/credit`,
      body: { amount: 100, reason: 'goodwill' },
    }),
    expect: operatorsOnly,
  },
  {
    name: 'sessionEscrow',
    mode: 'completed',
    request: (f) => ({ method: 'GET', path: `/api/sessions/${f.sessionId}/escrow` }),
    expect: readers,
  },
  {
    name: 'openDispute',
    mode: 'completed',
    request: (f) => ({
      method: 'POST',
      path: `/api/sessions/${f.sessionId}/dispute`,
      body: { reason: 'the expert left early' },
    }),
    expect: {
      ...readers,
      expertToken: 'forbidden',
      expertCookie: 'forbidden',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
    },
  },
  {
    // The fixture is a chat session: a participant passes authorization and meets the type check.
    name: 'iceServers',
    request: (f) => ({ method: 'GET', path: `/api/sessions/${f.sessionId}/ice-servers` }),
    expect: {
      ...readers,
      clientToken: 'not_allowed_for_type',
      expertToken: 'not_allowed_for_type',
      clientCookie: 'not_allowed_for_type',
      expertCookie: 'not_allowed_for_type',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
    },
  },
  {
    name: 'releaseEscrow',
    mode: 'completed',
    request: (f) => ({
      method: 'POST',
      path: `/api/admin/escrow/${f.sessionId}/release`,
      body: {},
    }),
    expect: operatorsOnly,
  },
  {
    name: 'refundEscrow',
    mode: 'completed',
    request: (f) => ({
      method: 'POST',
      path: `/api/admin/escrow/${f.sessionId}/refund`,
      body: { amount: 100 },
    }),
    expect: operatorsOnly,
  },
  // Notifications: any signed-in user, their own (the service scopes every query to the caller).
  {
    name: 'listNotifications',
    request: () => ({ method: 'GET', path: '/api/me/notifications' }),
    expect: { ...signedIn('client'), expertCookie: 'ok', otherExpert: 'ok', admin: 'ok' },
  },
  {
    name: 'markNotificationsRead',
    request: () => ({ method: 'POST', path: '/api/me/notifications/read', body: { all: true } }),
    expect: { ...signedIn('client'), expertCookie: 'ok', otherExpert: 'ok', admin: 'ok' },
  },
  {
    name: 'createWebhook',
    request: () => ({
      method: 'POST',
      path: '/api/admin/webhooks',
      body: { url: 'http://127.0.0.1:9/hooks', eventTypes: ['session.ended'] },
    }),
    expect: operatorsOnly,
  },
  {
    name: 'listWebhooks',
    request: () => ({ method: 'GET', path: '/api/admin/webhooks' }),
    expect: operatorsOnly,
  },
  {
    name: 'disableWebhook',
    request: (f) => ({ method: 'DELETE', path: `/api/admin/webhooks/${f.webhookId}` }),
    expect: operatorsOnly,
  },
  {
    name: 'webhookDeliveries',
    request: (f) => ({ method: 'GET', path: `/api/admin/webhooks/${f.webhookId}/deliveries` }),
    expect: operatorsOnly,
  },
  {
    name: 'retryDelivery',
    request: (f) => ({
      method: 'POST',
      path: `/api/admin/webhooks/deliveries/${f.deliveryId}/retry`,
      body: {},
    }),
    expect: operatorsOnly,
  },
  {
    name: 'adminSessions',
    request: () => ({ method: 'GET', path: '/api/admin/sessions' }),
    expect: operatorsOnly,
  },
  {
    name: 'adminEscrow',
    request: () => ({ method: 'GET', path: '/api/admin/escrow?state=disputed' }),
    expect: operatorsOnly,
  },
  {
    name: 'adminRefunds',
    request: () => ({ method: 'GET', path: '/api/admin/refunds' }),
    expect: operatorsOnly,
  },
  {
    name: 'escrowStats',
    request: () => ({ method: 'GET', path: '/api/admin/escrow/stats' }),
    expect: operatorsOnly,
  },
  {
    name: 'getSchedule',
    request: (f) => ({ method: 'GET', path: `/api/experts/${f.expertId}/schedule` }),
    expect: expertOrOperators,
  },
  {
    name: 'putSchedule',
    request: (f) => ({
      method: 'PUT',
      path: `/api/experts/${f.expertId}/schedule`,
      body: { timeZone: 'Europe/Berlin', weekly: [{ weekday: 1, start: '09:00', end: '17:00' }] },
    }),
    expect: expertOrOperators,
  },
  {
    name: 'createSlot',
    request: (f) => ({
      method: 'POST',
      path: `/api/experts/${f.expertId}/slots`,
      body: { startsAt: nextSlotTime(), durationMinutes: 30, types: ['chat'], price: 2500 },
    }),
    expect: expertOrOperators,
  },
  {
    name: 'createBooking',
    request: (f) => ({
      method: 'POST',
      path: '/api/bookings',
      body: { expertId: f.expertId, type: 'chat', startsAt: nextSlotTime(), durationMinutes: 30 },
    }),
    // Authorization passes for signed-in clients; the expert has no hours open, so the time is not open.
    expect: {
      ...noTokens,
      clientCookie: 'slot_taken',
      otherClient: 'slot_taken',
      expertCookie: 'forbidden',
      otherExpert: 'forbidden',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
      anonymous: 'unauthenticated',
    },
  },
  {
    name: 'mySessions',
    request: () => ({ method: 'GET', path: '/api/me/sessions' }),
    expect: {
      ...noTokens,
      clientCookie: 'ok',
      otherClient: 'ok',
      expertCookie: 'ok',
      otherExpert: 'ok',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
      anonymous: 'unauthenticated',
    },
  },
  {
    name: 'myJoinLink',
    request: (f) => ({ method: 'POST', path: `/api/sessions/${f.sessionId}/link`, body: {} }),
    expect: {
      ...noTokens,
      ...strangers,
      clientCookie: 'ok',
      expertCookie: 'ok',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
      anonymous: 'unauthenticated',
    },
  },
  {
    // Authorization passes for participants and operators; the expert has no hours, so the new time is not open.
    name: 'reschedule',
    mode: 'booked',
    request: (f) => ({
      method: 'POST',
      path: `/api/sessions/${f.sessionId}/reschedule`,
      body: { startsAt: '2026-04-01T10:00:00Z' },
    }),
    expect: {
      ...readers,
      clientToken: 'slot_taken',
      expertToken: 'slot_taken',
      clientCookie: 'slot_taken',
      expertCookie: 'slot_taken',
      admin: 'slot_taken',
      apiKey: 'slot_taken',
    },
  },
  {
    // The matrix's expert is offline: a client passes authorization and meets the availability check.
    name: 'requestSession',
    request: (f) => ({
      method: 'POST',
      path: '/api/requests',
      body: { expertId: f.expertId, type: 'chat' },
    }),
    expect: {
      ...noTokens,
      clientCookie: 'expert_unavailable',
      otherClient: 'expert_unavailable',
      expertCookie: 'forbidden',
      otherExpert: 'forbidden',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
      anonymous: 'unauthenticated',
    },
  },
  // The fixture is an accepted session: its expert passes authorization and meets the state machine.
  ...(['acceptRequest', 'declineRequest'] as const).map((name): Case => ({
    name,
    request: (f) => ({
      method: 'POST',
      path: `/api/requests/${f.sessionId}/${name === 'acceptRequest' ? 'accept' : 'decline'}`,
      body: {},
    }),
    expect: {
      ...noTokens,
      ...strangers,
      clientCookie: 'forbidden',
      expertCookie: 'invalid_transition',
      admin: 'forbidden',
      apiKey: 'unauthenticated',
      anonymous: 'unauthenticated',
    },
  })),
  {
    name: 'deleteSlot',
    request: (f) => ({ method: 'DELETE', path: `/api/experts/${f.expertId}/slots/${f.slotId}` }),
    expect: expertOrOperators,
  },
  {
    name: 'myEarnings',
    request: () => ({ method: 'GET', path: '/api/experts/me/earnings' }),
    expect: signedIn('expert'),
  },
  {
    name: 'myEarningsBySession',
    request: () => ({ method: 'GET', path: '/api/experts/me/earnings/sessions' }),
    expect: signedIn('expert'),
  },
  {
    name: 'createPayout',
    request: (f) => ({
      method: 'POST',
      path: '/api/admin/payouts',
      body: { expertId: f.expertId, amount: 1 },
    }),
    expect: operatorsOnly,
  },
  {
    name: 'completePayout',
    request: (f) => ({
      method: 'POST',
      path: `/api/admin/payouts/${f.payoutId}/complete`,
      body: {},
    }),
    expect: operatorsOnly,
  },
  {
    name: 'failPayout',
    request: (f) => ({ method: 'POST', path: `/api/admin/payouts/${f.payoutId}/fail`, body: {} }),
    expect: operatorsOnly,
  },
];

describeOnDatabases('authorization matrix', (target) => {
  let server: TestServer;
  let idp: HostIdp;
  let hostSigningKey: HostKey;
  const cookies = {} as Record<
    'clientCookie' | 'expertCookie' | 'otherClient' | 'otherExpert' | 'admin',
    Record<string, string>
  >;
  let client: { id: string };
  let expert: { id: string };
  let apiKey: string;
  let adminApiKeyId: string;

  beforeAll(async () => {
    idp = await startHostIdp({ issuer: ISSUER, audience: 'hourglass' });
    hostSigningKey = await hostKey('ES256', 'matrix');
    idp.publish(hostSigningKey);
    server = await startServer(target, idp.env);
    const deps = server.deps;
    client = await buildClient(deps, { password: PASSWORD });
    expert = await buildExpert(deps, { password: PASSWORD });
    // The host's users `client-sub` and `expert-sub` are these two.
    await deps.db
      .insertInto('host_identities')
      .values([
        { issuer: ISSUER, subject: 'client-sub', user_id: client.id, created_at: new Date() },
        { issuer: ISSUER, subject: 'expert-sub', user_id: expert.id, created_at: new Date() },
      ])
      .execute();
    const emails = await deps.db
      .selectFrom('users')
      .select(['id', 'email'])
      .where('id', 'in', [client.id, expert.id])
      .execute();
    const emailOf = (id: string) => emails.find((e) => e.id === id)!.email;
    cookies.clientCookie = await signIn(server, emailOf(client.id), PASSWORD);
    cookies.expertCookie = await signIn(server, emailOf(expert.id), PASSWORD);
    cookies.otherClient = (await buildSignedIn(server, 'client')).headers;
    cookies.otherExpert = (await buildSignedIn(server, 'expert')).headers;
    cookies.admin = (await buildSignedIn(server, 'admin')).headers;
    apiKey = await buildApiKey(deps);
    adminApiKeyId = (await deps.db.selectFrom('api_keys').select('id').executeTakeFirstOrThrow())
      .id;
    await fund(deps, client.id, 50_000_000);
    // Earnings for the expert, so that payouts have something to pay.
    const done = await completedSession();
    await settleEscrow(deps, { kind: 'apiKey', keyId: adminApiKeyId }, done.session.id, 'release');
  });

  const operator = () => ({ kind: 'apiKey', keyId: adminApiKeyId }) as const;
  const make = (mode: Mode) =>
    createSession(server.deps, operator(), {
      kind: mode === 'booked' || mode === 'completed' ? 'scheduled' : 'on_demand',
      type: 'chat',
      clientId: client.id,
      expertId: expert.id,
      ...((mode === 'booked' || mode === 'completed') && {
        scheduledAt: new Date(Date.parse('2026-03-02T12:02:00Z')).toISOString(),
        durationMinutes: 30 as const,
      }),
    });
  const joinBoth = async (sessionId: string) => {
    for (const role of ['client', 'expert'] as const) {
      await joinSession(
        server.deps,
        { kind: 'participant', sessionId, userId: role === 'client' ? client.id : expert.id, role },
        sessionId,
      );
    }
  };
  async function completedSession() {
    const s = await make('completed');
    await joinBoth(s.session.id);
    await endSession(server.deps, operator(), s.session.id, undefined);
    return s;
  }
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });
  /** The host's JWT for the user of `subject`, with their current name and role. */
  async function hostJwt(subject: 'client-sub' | 'expert-sub') {
    const id = subject === 'client-sub' ? client.id : expert.id;
    const u = await server.deps.db
      .selectFrom('users')
      .select(['name', 'role'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const now = await server.deps.clock.now(server.deps.db);
    return idp.sign(
      hostSigningKey,
      { sub: subject, name: u.name, role: u.role },
      { now, ttlS: 86_400 },
    );
  }

  /** A subscription (a fresh one, which a DELETE may disable) and a failed delivery of another, which a retry sends again. */
  async function webhookFixture() {
    const deps = server.deps;
    const now = await deps.clock.now(deps.db);
    const [hook, kept] = [
      await createSubscription(deps, operator(), {
        url: 'http://127.0.0.1:9/a',
        eventTypes: ['session.ended'],
      }),
      await createSubscription(deps, operator(), {
        url: 'http://127.0.0.1:9/b',
        eventTypes: ['session.ended'],
      }),
    ];
    const deliveryId = randomIds.uuid();
    await deps.db
      .insertInto('webhook_deliveries')
      .values({
        id: deliveryId,
        subscription_id: kept.id,
        event_id: randomIds.uuid(),
        event_type: 'session.ended',
        payload: '{}',
        state: 'failed',
        next_attempt_at: null,
        created_at: now,
      })
      .execute();
    return { webhookId: hook.id, deliveryId };
  }

  /** A file shared in the session (its row; a link needs no bytes). */
  async function fileFixture(sessionId: string) {
    const id = randomIds.uuid();
    await server.deps.db
      .insertInto('files')
      .values({
        id,
        session_id: sessionId,
        uploader_id: client.id,
        name: 'chart.png',
        mime: 'image/png',
        size: 10,
        state: 'ready',
        created_at: await server.deps.clock.now(server.deps.db),
      })
      .execute();
    return id;
  }

  async function fixture(mode: Mode) {
    const deps = server.deps;
    const main = mode === 'completed' ? await completedSession() : await make(mode);
    if (mode === 'live') await joinBoth(main.session.id);
    const [other, expired, revoked] = [
      await make('accepted'),
      await make('accepted'),
      await make('accepted'),
    ];
    const payout = await createPayout(deps, operator(), {
      expertId: expert.id,
      amount: 1,
      key: randomIds.uuid(),
    });
    const slot = await createSlot(deps, operator(), expert.id, {
      startsAt: nextSlotTime(),
      durationMinutes: 30,
      types: ['chat'],
      price: 2500,
    });
    // An expired and a revoked client token, both for the main session.
    const past = new Date(Date.parse('2026-03-02T12:00:00Z') - 1000);
    await deps.db
      .updateTable('session_tokens')
      .set({ session_id: main.session.id })
      .where('token_hash', 'in', [
        hashSecret(expired.links.client.token),
        hashSecret(revoked.links.client.token),
      ])
      .execute()
      .catch(() => undefined);
    await deps.db
      .updateTable('session_tokens')
      .set({ valid_until: past })
      .where('token_hash', '=', hashSecret(expired.links.client.token))
      .execute();
    await deps.db
      .updateTable('session_tokens')
      .set({ revoked_at: past })
      .where('token_hash', '=', hashSecret(revoked.links.client.token))
      .execute();
    const key = await call(server.url, 'POST', '/api/api-keys', {
      headers: cookies.admin,
      body: { name: 'victim' },
    });
    return {
      f: {
        sessionId: main.session.id,
        clientId: client.id,
        expertId: expert.id,
        apiKeyId: key.body.apiKey.id,
        payoutId: payout.id,
        slotId: slot.id,
        ...(await webhookFixture()),
        fileId: await fileFixture(main.session.id),
        victimId: (await buildClient(deps)).id,
      },
      headers: {
        clientToken: { 'x-join-token': main.links.client.token },
        expertToken: { 'x-join-token': main.links.expert.token },
        ...cookies,
        apiKey: { authorization: `Bearer ${apiKey}` },
        anonymous: {},
        // Expired and revoked tokens belong to other sessions here, so they are checked before any ownership.
        expiredToken: { 'x-join-token': expired.links.client.token },
        revokedToken: { 'x-join-token': revoked.links.client.token },
        otherSessionToken: { 'x-join-token': other.links.client.token },
        clientJwt: { authorization: `Bearer ${await hostJwt('client-sub')}` },
        expertJwt: { authorization: `Bearer ${await hostJwt('expert-sub')}` },
      } as Record<Caller | keyof typeof hostJwtCallers, Record<string, string>>,
    };
  }

  it('the matrix names every endpoint that needs a credential', () => {
    // logout would end the shared sign-ins mid-matrix: people.test.ts checks it on its own.
    const covered = new Set<string>([...cases.map((c) => c.name), 'logout']);
    const needing = Object.entries(endpoints)
      .filter(([, e]) => !(e.credentials as readonly string[]).includes('public'))
      .map(([n]) => n);
    expect(needing.filter((n) => !covered.has(n))).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.name}: each caller gets exactly what it may`, async () => {
      const got: Record<string, Outcome> = {};
      for (const caller of [
        ...callers,
        ...(Object.keys(hostJwtCallers) as (keyof typeof hostJwtCallers)[]),
      ]) {
        const { f, headers } = await fixture(c.mode ?? 'accepted');
        let req = c.request(f);
        if (c.name === 'createSession')
          req = {
            ...req,
            body: { kind: 'on_demand', type: 'chat', clientId: client.id, expertId: expert.id },
          };
        const r = await call(server.url, req.method, req.path, {
          headers: headers[caller],
          ...(req.body !== undefined && { body: req.body }),
        });
        got[caller] = r.status < 300 ? 'ok' : (errorCode(r) ?? (`status ${r.status}` as Outcome));
      }
      expect(got).toEqual({
        ...c.expect,
        clientJwt: c.expect[hostJwtCallers.clientJwt],
        expertJwt: c.expect[hostJwtCallers.expertJwt],
      });
    });
  }
});
