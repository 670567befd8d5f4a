import type { z } from 'zod';
import { Empty, IdParams, NoContent, PageQuery, page } from './common.ts';
import { IceServers } from './realtime.ts';
import { AdminEscrowQuery, AdminSessionsQuery, adminEscrowPage, adminRefundsPage, adminSessionsPage } from './admin.ts';
import { FileLink, FileList, FileParams } from './files.ts';
import {
  CreatedWebhookSubscription, DeliveriesQuery, MarkReadBody, NotificationsPage, NotificationsQuery, UnreadCount, WebhookDelivery, WebhookParams, WebhookSubscription, WebhookSubscriptionBody,
} from './notify.ts';
import {
  Availability, AvailabilityQuery, Booking, BookingBody, OneOffSlot, OneOffSlotInput, RequestAnswer, RescheduleBody, Schedule, ScheduleInput, SessionRequest, SessionRequestBody, SlotParams,
} from './booking.ts';
import {
  ApiKey,
  CreateApiKeyBody,
  CreateUserBody,
  CreatedApiKey,
  Expert,
  ExpertsQuery,
  ExpertProfileUpdate,
  LoginBody,
  LoginResult,
  Me,
  User,
} from './people.ts';
import {
  CreateSessionBody,
  CreatedSession,
  EndBody,
  JoinLink,
  JoinLinks,
  MySession,
  MySessionsQuery,
  Note,
  NoteBody,
  Rating,
  RatingBody,
  RevokeTokenBody,
  Session,
  SessionEvents,
  TokenCheck,
  TokenQuery,
} from './sessions.ts';
import {
  AdminCreditBody,
  DisputeBody,
  Earnings,
  Escrow,
  EscrowStats,
  ExtensionBody,
  ExtensionResult,
  NoShowBody,
  Payout,
  PayoutBody,
  PayoutParams,
  RefundBody,
  SessionEarnings,
  TopUp,
  TopUpBody,
  UserIdParams,
  Wallet,
  WalletEntry,
} from './money.ts';

/**
 * Which credentials an endpoint accepts (the server then checks the object itself):
 * - `public`: none;  - `cookie`: a signed-in web user (writes also need the CSRF header);
 * - `apiKey`: `Authorization: Bearer hgk_…`;  - `joinToken`: `X-Join-Token: hgj_…`.
 */
export type Credential = 'public' | 'cookie' | 'apiKey' | 'joinToken';

export interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI-style path, `{id}` for parameters. */
  path: string;
  summary: string;
  tag: string;
  credentials: readonly Credential[];
  /** Who, beyond holding a credential, may call it: written for the docs, enforced by the server. */
  who: string;
  /** Moves money: accepts an `Idempotency-Key` header. */
  idempotent?: boolean;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
  status: 200 | 201 | 204;
}

const e = <T extends Endpoint>(endpoint: T) => endpoint;

export const endpoints = {
  login: e({
    method: 'POST', path: '/api/auth/login', tag: 'auth', summary: 'Sign in with email and password',
    credentials: ['public'], who: 'anyone (throttled per email and per address)',
    body: LoginBody, response: LoginResult, status: 200,
  }),
  logout: e({
    method: 'POST', path: '/api/auth/logout', tag: 'auth', summary: 'Sign out',
    credentials: ['cookie'], who: 'the signed-in user', body: Empty, response: NoContent, status: 204,
  }),
  me: e({
    method: 'GET', path: '/api/me', tag: 'auth', summary: 'The signed-in user',
    credentials: ['cookie'], who: 'the signed-in user', response: Me, status: 200,
  }),
  createUser: e({
    method: 'POST', path: '/api/users', tag: 'people', summary: 'Create a client, expert or admin',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key (admins only by an admin)',
    body: CreateUserBody, response: User, status: 201,
  }),
  getUser: e({
    method: 'GET', path: '/api/users/{id}', tag: 'people', summary: 'A user',
    credentials: ['cookie', 'apiKey'], who: 'the user themself, an admin or an API key',
    params: IdParams, response: User, status: 200,
  }),
  disableUser: e({
    method: 'POST', path: '/api/users/{id}/disable', tag: 'people', summary: 'Disable a user: no sign-in, no join link, every connection closed',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key (admins only by an admin)',
    params: IdParams, body: Empty, response: User, status: 200,
  }),
  enableUser: e({
    method: 'POST', path: '/api/users/{id}/enable', tag: 'people', summary: 'Enable a disabled user again',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key (admins only by an admin)',
    params: IdParams, body: Empty, response: User, status: 200,
  }),
  listExperts: e({
    method: 'GET', path: '/api/experts', tag: 'people', summary: 'Experts with rates and presence',
    credentials: ['public'], who: 'anyone', query: ExpertsQuery, response: page(Expert), status: 200,
  }),
  getExpert: e({
    method: 'GET', path: '/api/experts/{id}', tag: 'people', summary: "An expert's public profile",
    credentials: ['public'], who: 'anyone', params: IdParams, response: Expert, status: 200,
  }),
  updateMyExpertProfile: e({
    method: 'PATCH', path: '/api/experts/me', tag: 'people', summary: 'Update my expert profile',
    credentials: ['cookie'], who: 'an expert, for their own profile',
    body: ExpertProfileUpdate, response: Expert, status: 200,
  }),
  availability: e({
    method: 'GET', path: '/api/experts/{id}/availability', tag: 'booking', summary: "An expert's open slots on a date, in the client's zone",
    credentials: ['public'], who: 'anyone', params: IdParams, query: AvailabilityQuery, response: Availability, status: 200,
  }),
  getSchedule: e({
    method: 'GET', path: '/api/experts/{id}/schedule', tag: 'booking', summary: "An expert's weekly hours, date overrides and one-off slots",
    credentials: ['cookie', 'apiKey'], who: 'the expert themself, an admin or an API key', params: IdParams, response: Schedule, status: 200,
  }),
  putSchedule: e({
    method: 'PUT', path: '/api/experts/{id}/schedule', tag: 'booking', summary: "Replace an expert's zone, weekly hours, overrides, buffer and notice",
    credentials: ['cookie', 'apiKey'], who: 'the expert themself, an admin or an API key', params: IdParams, body: ScheduleInput, response: Schedule, status: 200,
  }),
  createSlot: e({
    method: 'POST', path: '/api/experts/{id}/slots', tag: 'booking', summary: 'Add a one-off slot',
    credentials: ['cookie', 'apiKey'], who: 'the expert themself, an admin or an API key', params: IdParams, body: OneOffSlotInput, response: OneOffSlot, status: 201,
  }),
  deleteSlot: e({
    method: 'DELETE', path: '/api/experts/{id}/slots/{slotId}', tag: 'booking', summary: 'Delete a one-off slot (only while unbooked)',
    credentials: ['cookie', 'apiKey'], who: 'the expert themself, an admin or an API key', params: SlotParams, response: NoContent, status: 204,
  }),
  mySessions: e({
    method: 'GET', path: '/api/me/sessions', tag: 'booking', summary: "My sessions (an expert's) or bookings (a client's), newest first",
    credentials: ['cookie'], who: 'a signed-in client or expert', query: MySessionsQuery, response: page(MySession), status: 200,
  }),
  myJoinLink: e({
    method: 'POST', path: '/api/sessions/{id}/link', tag: 'sessions', summary: 'A fresh join link for myself (the previous one stops working)',
    credentials: ['cookie'], who: "one of the session's two participants, signed in", params: IdParams, body: Empty, response: JoinLink, status: 201,
  }),
  reschedule: e({
    method: 'POST', path: '/api/sessions/{id}/reschedule', tag: 'booking', summary: 'Move a booked session to another open slot',
    credentials: ['joinToken', 'cookie', 'apiKey'], who: 'its two participants, an admin or an API key', params: IdParams, body: RescheduleBody, response: Session, status: 200,
  }),
  requestSession: e({
    method: 'POST', path: '/api/requests', tag: 'on demand', summary: 'Ask an online expert for an on-demand session',
    credentials: ['cookie'], who: 'a signed-in client', body: SessionRequestBody, response: SessionRequest, status: 201,
  }),
  acceptRequest: e({
    method: 'POST', path: '/api/requests/{id}/accept', tag: 'on demand', summary: 'Accept a request (answers your join link)',
    credentials: ['cookie'], who: 'the expert asked', params: IdParams, body: Empty, response: RequestAnswer, status: 200,
  }),
  declineRequest: e({
    method: 'POST', path: '/api/requests/{id}/decline', tag: 'on demand', summary: 'Decline a request',
    credentials: ['cookie'], who: 'the expert asked', params: IdParams, body: Empty, response: RequestAnswer, status: 200,
  }),
  createBooking: e({
    method: 'POST', path: '/api/bookings', tag: 'booking', summary: 'Book an open slot: paid into escrow and booked in one step',
    credentials: ['cookie'], who: 'a signed-in client', body: BookingBody, response: Booking, status: 201,
  }),
  createApiKey: e({
    method: 'POST', path: '/api/api-keys', tag: 'api keys', summary: 'Create an API key (secret shown once)',
    credentials: ['cookie'], who: 'an admin', body: CreateApiKeyBody, response: CreatedApiKey, status: 201,
  }),
  listApiKeys: e({
    method: 'GET', path: '/api/api-keys', tag: 'api keys', summary: 'API keys (no secrets)',
    credentials: ['cookie'], who: 'an admin', query: PageQuery, response: page(ApiKey), status: 200,
  }),
  revokeApiKey: e({
    method: 'DELETE', path: '/api/api-keys/{id}', tag: 'api keys', summary: 'Revoke an API key',
    credentials: ['cookie'], who: 'an admin', params: IdParams, response: NoContent, status: 204,
  }),
  createSession: e({
    method: 'POST', path: '/api/sessions', tag: 'sessions', summary: 'Create a session and its two join links',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key',
    body: CreateSessionBody, response: CreatedSession, status: 201,
  }),
  validateToken: e({
    method: 'GET', path: '/api/sessions/validate', tag: 'sessions', summary: 'Check a join token',
    credentials: ['public'], who: 'whoever holds the token', query: TokenQuery, response: TokenCheck, status: 200,
  }),
  getSession: e({
    method: 'GET', path: '/api/sessions/{id}', tag: 'sessions', summary: 'Session status',
    credentials: ['joinToken', 'cookie', 'apiKey'], who: 'its two participants, an admin or an API key',
    params: IdParams, response: Session, status: 200,
  }),
  joinSession: e({
    method: 'POST', path: '/api/sessions/{id}/join', tag: 'sessions', summary: 'Join (records attendance)',
    credentials: ['joinToken'], who: "the participant whose token it is", params: IdParams, body: Empty,
    response: Session, status: 200,
  }),
  endSession: e({
    method: 'POST', path: '/api/sessions/{id}/end', tag: 'sessions', summary: 'End a live session (idempotent)',
    credentials: ['joinToken', 'cookie', 'apiKey'], who: 'its two participants, an admin or an API key',
    params: IdParams, body: EndBody, response: Session, status: 200,
  }),
  cancelSession: e({
    method: 'POST', path: '/api/sessions/{id}/cancel', tag: 'sessions', summary: 'Cancel a session not yet live (refund by the policy)',
    credentials: ['joinToken', 'cookie', 'apiKey'], who: 'its two participants (the client: refund by the policy; the expert: all back), an admin or an API key',
    params: IdParams, body: Empty, response: Session, status: 200,
  }),
  extendSession: e({
    method: 'POST', path: '/api/sessions/{id}/extensions', tag: 'sessions', summary: 'Buy more minutes for a live scheduled session (E6)',
    credentials: ['joinToken', 'cookie'], who: "the session's client", idempotent: true,
    params: IdParams, body: ExtensionBody, response: ExtensionResult, status: 201,
  }),
  rateSession: e({
    method: 'POST', path: '/api/sessions/{id}/rating', tag: 'sessions', summary: 'Rate the expert after a completed session (once)',
    credentials: ['joinToken', 'cookie'], who: "the session's client", params: IdParams, body: RatingBody, response: Rating, status: 201,
  }),
  getSummary: e({
    method: 'GET', path: '/api/sessions/{id}/summary', tag: 'sessions', summary: "The expert's summary of the session (F3)",
    credentials: ['joinToken', 'cookie', 'apiKey'], who: 'its two participants, an admin or an API key', params: IdParams, response: Note, status: 200,
  }),
  putSummary: e({
    method: 'PUT', path: '/api/sessions/{id}/summary', tag: 'sessions', summary: 'Write the summary after the session (the expert; replaces it)',
    credentials: ['joinToken', 'cookie'], who: "the session's expert, once it has taken place and ended", params: IdParams, body: NoteBody, response: Note, status: 200,
  }),
  getMyNotes: e({
    method: 'GET', path: '/api/sessions/{id}/notes', tag: 'sessions', summary: 'My private notes on the session',
    credentials: ['joinToken', 'cookie'], who: 'each participant, their own (no one else, operators included)', params: IdParams, response: Note, status: 200,
  }),
  putMyNotes: e({
    method: 'PUT', path: '/api/sessions/{id}/notes', tag: 'sessions', summary: 'Keep private notes on the session (replaces them)',
    credentials: ['joinToken', 'cookie'], who: 'each participant, their own', params: IdParams, body: NoteBody, response: Note, status: 200,
  }),
  sessionEvents: e({
    method: 'GET', path: '/api/sessions/{id}/events', tag: 'sessions', summary: 'The audit trail',
    credentials: ['joinToken', 'cookie', 'apiKey'], who: 'its two participants, an admin or an API key',
    params: IdParams, response: SessionEvents, status: 200,
  }),
  reissueTokens: e({
    method: 'POST', path: '/api/sessions/{id}/tokens', tag: 'sessions', summary: 'Issue new join links (old ones revoked)',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key',
    params: IdParams, body: Empty, response: JoinLinks, status: 201,
  }),
  revokeToken: e({
    method: 'POST', path: '/api/sessions/{id}/tokens/revoke', tag: 'sessions', summary: "Revoke a participant's join token",
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key',
    params: IdParams, body: RevokeTokenBody, response: NoContent, status: 204,
  }),
  noShow: e({
    method: 'POST', path: '/api/sessions/{id}/no-show', tag: 'sessions', summary: 'Settle a scheduled session one side missed',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key',
    params: IdParams, body: NoShowBody, response: Session, status: 200,
  }),
  wallet: e({
    method: 'GET', path: '/api/wallet', tag: 'wallet', summary: 'My wallet balance',
    credentials: ['cookie', 'joinToken'], who: "a client, signed in or by a session's join link", response: Wallet, status: 200,
  }),
  walletHistory: e({
    method: 'GET', path: '/api/wallet/transactions', tag: 'wallet', summary: 'My wallet history, newest first',
    credentials: ['cookie'], who: 'a client', query: PageQuery, response: page(WalletEntry), status: 200,
  }),
  topUp: e({
    method: 'POST', path: '/api/wallet/top-ups', tag: 'wallet', summary: 'Add funds through the payment provider',
    credentials: ['cookie', 'joinToken'], who: "a client, signed in or by a session's join link (a top-up from inside the room)", idempotent: true, body: TopUpBody, response: TopUp, status: 201,
  }),
  adminCredit: e({
    method: 'POST', path: '/api/admin/wallets/{userId}/credit', tag: 'admin', summary: "Credit a client's wallet",
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', idempotent: true,
    params: UserIdParams, body: AdminCreditBody, response: Wallet, status: 201,
  }),
  sessionEscrow: e({
    method: 'GET', path: '/api/sessions/{id}/escrow', tag: 'escrow', summary: "A scheduled session's escrow",
    credentials: ['joinToken', 'cookie', 'apiKey'], who: 'its two participants, an admin or an API key',
    params: IdParams, response: Escrow, status: 200,
  }),
  iceServers: e({
    method: 'GET', path: '/api/sessions/{id}/ice-servers', tag: 'sessions', summary: 'STUN and TURN servers for a voice or video session (TURN credentials time-limited)',
    credentials: ['joinToken', 'cookie'], who: 'its two participants', params: IdParams, response: IceServers, status: 200,
  }),
  openDispute: e({
    method: 'POST', path: '/api/sessions/{id}/dispute', tag: 'escrow', summary: 'Dispute a session before its escrow is released',
    credentials: ['joinToken', 'cookie'], who: "the session's client", params: IdParams, body: DisputeBody, response: Escrow, status: 200,
  }),
  releaseEscrow: e({
    method: 'POST', path: '/api/admin/escrow/{id}/release', tag: 'admin', summary: 'Release held or disputed escrow to the expert now',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', params: IdParams, body: Empty, response: Escrow, status: 200,
  }),
  refundEscrow: e({
    method: 'POST', path: '/api/admin/escrow/{id}/refund', tag: 'admin', summary: 'Refund escrow (all or part; the rest is released)',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', params: IdParams, body: RefundBody, response: Escrow, status: 200,
  }),
  escrowStats: e({
    method: 'GET', path: '/api/admin/escrow/stats', tag: 'admin', summary: 'Escrow held, disputed, released and refunded',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', response: EscrowStats, status: 200,
  }),
  myEarnings: e({
    method: 'GET', path: '/api/experts/me/earnings', tag: 'earnings', summary: 'My earnings totals',
    credentials: ['cookie'], who: 'an expert', response: Earnings, status: 200,
  }),
  myEarningsBySession: e({
    method: 'GET', path: '/api/experts/me/earnings/sessions', tag: 'earnings', summary: 'My earnings per session, newest first',
    credentials: ['cookie'], who: 'an expert', query: PageQuery, response: page(SessionEarnings), status: 200,
  }),
  createPayout: e({
    method: 'POST', path: '/api/admin/payouts', tag: 'admin', summary: "Start a payout of an expert's available earnings",
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', idempotent: true, body: PayoutBody, response: Payout, status: 201,
  }),
  completePayout: e({
    method: 'POST', path: '/api/admin/payouts/{payoutId}/complete', tag: 'admin', summary: 'Record that a payout arrived',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', params: PayoutParams, body: Empty, response: Payout, status: 200,
  }),
  failPayout: e({
    method: 'POST', path: '/api/admin/payouts/{payoutId}/fail', tag: 'admin', summary: 'Record that a payout failed (earnings return)',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', params: PayoutParams, body: Empty, response: Payout, status: 200,
  }),
  listFiles: e({
    method: 'GET', path: '/api/sessions/{id}/files', tag: 'files', summary: 'Files shared in the session, oldest first (upload: POST with the raw bytes, docs/PROTOCOL.md)',
    credentials: ['joinToken', 'cookie'], who: 'its two participants', params: IdParams, response: FileList, status: 200,
  }),
  fileLink: e({
    method: 'POST', path: '/api/sessions/{id}/files/{fileId}/link', tag: 'files', summary: 'A signed download link for me, valid one hour',
    credentials: ['joinToken', 'cookie'], who: 'its two participants', params: FileParams, body: Empty, response: FileLink, status: 201,
  }),
  adminSessions: e({
    method: 'GET', path: '/api/admin/sessions', tag: 'admin', summary: 'Sessions by state (default: live now), newest first, with both people and what was charged',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', query: AdminSessionsQuery, response: adminSessionsPage, status: 200,
  }),
  adminEscrow: e({
    method: 'GET', path: '/api/admin/escrow', tag: 'admin', summary: 'Escrows by state (held: with their release time; disputed), newest first',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', query: AdminEscrowQuery, response: adminEscrowPage, status: 200,
  }),
  adminRefunds: e({
    method: 'GET', path: '/api/admin/refunds', tag: 'admin', summary: 'Refunds, newest first: escrow back to wallets, and money back to cards with its state',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', query: PageQuery, response: adminRefundsPage, status: 200,
  }),
  listNotifications: e({
    method: 'GET', path: '/api/me/notifications', tag: 'notifications', summary: 'My notifications, newest first, with the unread count',
    credentials: ['cookie'], who: 'the signed-in user, their own', query: NotificationsQuery, response: NotificationsPage, status: 200,
  }),
  markNotificationsRead: e({
    method: 'POST', path: '/api/me/notifications/read', tag: 'notifications', summary: 'Mark some or all of my notifications read',
    credentials: ['cookie'], who: 'the signed-in user, their own (other ids change nothing)', body: MarkReadBody, response: UnreadCount, status: 200,
  }),
  createWebhook: e({
    method: 'POST', path: '/api/admin/webhooks', tag: 'webhooks', summary: 'Subscribe a URL to events (signing secret shown once)',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', body: WebhookSubscriptionBody, response: CreatedWebhookSubscription, status: 201,
  }),
  listWebhooks: e({
    method: 'GET', path: '/api/admin/webhooks', tag: 'webhooks', summary: 'Webhook subscriptions (no secrets)',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', query: PageQuery, response: page(WebhookSubscription), status: 200,
  }),
  disableWebhook: e({
    method: 'DELETE', path: '/api/admin/webhooks/{id}', tag: 'webhooks', summary: 'Stop a subscription (its waiting deliveries are given up)',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', params: WebhookParams, response: NoContent, status: 204,
  }),
  webhookDeliveries: e({
    method: 'GET', path: '/api/admin/webhooks/{id}/deliveries', tag: 'webhooks', summary: "A subscription's delivery log, newest first",
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', params: WebhookParams, query: DeliveriesQuery, response: page(WebhookDelivery), status: 200,
  }),
  retryDelivery: e({
    method: 'POST', path: '/api/admin/webhooks/deliveries/{id}/retry', tag: 'webhooks', summary: 'Send a failed delivery again now',
    credentials: ['cookie', 'apiKey'], who: 'an admin or an API key', params: WebhookParams, body: Empty, response: WebhookDelivery, status: 200,
  }),
} as const;

export type Endpoints = typeof endpoints;
export type EndpointName = keyof Endpoints;

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;
type Input<T> = T extends z.ZodType ? z.input<T> : undefined;
export type BodyOf<N extends EndpointName> = Input<Endpoints[N] extends { body: infer B } ? B : undefined>;
export type QueryOf<N extends EndpointName> = Input<Endpoints[N] extends { query: infer Q } ? Q : undefined>;
export type ParamsOf<N extends EndpointName> = Input<Endpoints[N] extends { params: infer P } ? P : undefined>;
export type ResponseOf<N extends EndpointName> = Infer<Endpoints[N]['response']>;
