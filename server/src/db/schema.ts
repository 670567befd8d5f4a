import type {
  EndReason,
  ParticipantRole,
  Role,
  SessionKind,
  SessionState,
  SessionType,
} from '@hourglass/protocol';
import type { ColumnType, Generated } from 'kysely';

/**
 * Kysely's view of the tables the migrations make (db/schema.sql): a test keeps the two in
 * step (server/test/db/schema.test.ts). Columns whose values the database limits to the
 * protocol's sets carry the protocol's types.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;
/** A nullable column that inserts may leave out. */
type Optional<T> = ColumnType<T | null, T | null | undefined, T | null>;

export interface UsersTable {
  id: string;
  role: Role;
  email: string;
  name: string;
  password_hash: string | null;
  created_at: Timestamp;
  disabled_at: Timestamp | null;
}

/** A host platform's user (issuer, subject) and the Hourglass user made for them. */
export interface HostIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: Timestamp;
}

export interface ExpertProfilesTable {
  user_id: string;
  bio: Generated<string>;
  avatar_url: string | null;
  categories: Json<string[]>;
  rates: Json<Record<string, number>>;
  flat_prices: Json<Record<string, number>>;
  presence: Generated<'online' | 'busy' | 'offline'>;
  rating_avg: ColumnType<string | null, never, string | null>;
  rating_count: Generated<number>;
  no_show_count: Generated<number>;
}

export interface AuthSessionsTable {
  id_hash: string;
  user_id: string;
  csrf_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface LoginFailuresTable {
  key: string;
  failures: number;
  window_started_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_by: string | null;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface SessionsTable {
  id: string;
  kind: SessionKind;
  type: SessionType;
  state: SessionState;
  end_reason: EndReason | null;
  client_id: string;
  expert_id: string;
  rate_per_minute: number | null;
  price: number | null;
  duration_minutes: number | null;
  scheduled_at: Timestamp | null;
  started_at: Timestamp | null;
  ends_at: Timestamp | null;
  paid_until: Timestamp | null;
  ended_at: Timestamp | null;
  client_joined_at: Timestamp | null;
  expert_joined_at: Timestamp | null;
  billed_seconds: Generated<number>;
  notes: string | null;
  version: Generated<number>;
  created_at: Timestamp;
  escrow_state: Optional<'held' | 'released' | 'refunded' | 'settled' | 'disputed'>;
  escrow_release_at: Optional<Date>;
  disputed_at: Optional<Date>;
  dispute_reason: Optional<string>;
  low_balance_warned_at: Optional<Date>;
  chat_seq: Generated<number>;
  client_away_since: Optional<Date>;
  expert_away_since: Optional<Date>;
  paused_at: Optional<Date>;
  paused_ms: Generated<number>;
  /** `[start, end + buffer)` of a client's booking, as PostgreSQL's range text. */
  booked_range: Optional<string>;
  request_expires_at: Optional<Date>;
  /** A booking paid through checkout: cancelled if not paid by then (migration 014). */
  payment_due_at: Optional<Date>;
}

export interface SessionTokensTable {
  token_hash: string;
  session_id: string;
  participant_id: string;
  role: ParticipantRole;
  valid_until: Timestamp;
  revoked_at: Timestamp | null;
  created_at: Timestamp;
}

export interface SessionEventsTable {
  seq: Generated<number>;
  id: string;
  session_id: string;
  at: Timestamp;
  actor_id: string | null;
  actor_role: string;
  kind: string;
  data: Json<Record<string, unknown>>;
}

export type AccountKind =
  'wallet' | 'escrow' | 'earnings' | 'payouts' | 'platform_revenue' | 'provider_cash' | 'in_flight';

export interface LedgerAccountsTable {
  id: string;
  kind: AccountKind;
  owner_id: string | null;
  currency: string;
  balance: ColumnType<number, number | undefined, never>;
  created_at: Timestamp;
}

export interface LedgerTransfersTable {
  seq: Generated<number>;
  id: string;
  debit_account: string;
  credit_account: string;
  amount: number;
  kind: string;
  session_id: string | null;
  pending: Generated<boolean>;
  post_to: string | null;
  resolves: string | null;
  created_at: Timestamp;
}

export interface ChatMessagesTable {
  id: string;
  session_id: string;
  seq: number;
  sender_role: 'client' | 'expert';
  client_msg_id: string;
  text: string;
  created_at: Timestamp;
}

export interface RealtimeNodesTable {
  id: string;
  seen_at: Timestamp;
}

export interface RealtimeConnectionsTable {
  socket_id: string;
  node_id: string;
  session_id: string;
  role: 'client' | 'expert';
  connected_at: Timestamp;
}

export interface ExpertSchedulesTable {
  expert_id: string;
  time_zone: string;
  weekly: Json<{ weekday: number; start: string; end: string }[]>;
  overrides: Json<
    { date: string; kind: 'off' | 'extra'; start: string | null; end: string | null }[]
  >;
  buffer_minutes: number;
  min_notice_minutes: number;
  updated_at: Timestamp;
}

export interface AvailabilitySlotsTable {
  id: string;
  expert_id: string;
  starts_at: Timestamp;
  duration_minutes: number;
  types: Json<('chat' | 'voice' | 'video')[]>;
  price: number;
  session_id: string | null;
  created_at: Timestamp;
}

export interface ProviderEventsTable {
  id: string;
  provider: string;
  type: string;
  created_at: Timestamp;
  applied_at: Timestamp;
  payload: Json<unknown>;
}

export interface ProviderCheckoutsTable {
  id: string;
  provider: string;
  purpose: 'top_up' | 'booking' | 'extension';
  user_id: string;
  key: string;
  amount: number;
  session_id: string | null;
  payment_ref: string | null;
  state: Generated<'open' | 'paid'>;
  created_at: Timestamp;
  paid_at: Timestamp | null;
}

export interface SessionExtensionsTable {
  id: string;
  session_id: string;
  client_id: string;
  minutes: number;
  amount: number;
  pay_with: 'wallet' | 'checkout';
  state: 'awaiting_payment' | 'applied' | 'refunded';
  idempotency_key: string;
  created_at: Timestamp;
  settled_at: Timestamp | null;
}

export interface ProviderRefundsTable {
  id: string;
  provider: string;
  user_id: string;
  payment_ref: string;
  amount: number;
  reason: string;
  session_id: string | null;
  state: Generated<'pending' | 'succeeded' | 'failed'>;
  provider_ref: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: Timestamp;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface SessionRatingsTable {
  session_id: string;
  client_id: string;
  expert_id: string;
  stars: number;
  text: string;
  counts_in_average: boolean;
  created_at: Timestamp;
}

export interface SessionNotesTable {
  session_id: string;
  author_id: string;
  kind: 'summary' | 'private';
  text: string;
  updated_at: Timestamp;
}

export interface NotificationsTable {
  id: string;
  user_id: string;
  kind: string;
  session_id: string | null;
  data: Json<Record<string, unknown>>;
  created_at: Timestamp;
  read_at: Timestamp | null;
}

export interface WebhookSubscriptionsTable {
  id: string;
  url: string;
  secret: string;
  event_types: string[];
  description: string | null;
  created_at: Timestamp;
  disabled_at: Timestamp | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  payload: Json<Record<string, unknown>>;
  state: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

export interface FilesTable {
  id: string;
  session_id: string;
  uploader_id: string;
  name: string;
  mime: string | null;
  size: ColumnType<string | number, number | undefined, number>;
  state: Generated<'uploading' | 'ready'>;
  created_at: Timestamp;
}

export interface ServerSecretsTable {
  name: string;
  value: string;
}

export interface DB {
  ledger_accounts: LedgerAccountsTable;
  ledger_transfers: LedgerTransfersTable;
  users: UsersTable;
  host_identities: HostIdentitiesTable;
  expert_profiles: ExpertProfilesTable;
  auth_sessions: AuthSessionsTable;
  login_failures: LoginFailuresTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  session_tokens: SessionTokensTable;
  session_events: SessionEventsTable;
  chat_messages: ChatMessagesTable;
  realtime_nodes: RealtimeNodesTable;
  realtime_connections: RealtimeConnectionsTable;
  expert_schedules: ExpertSchedulesTable;
  availability_slots: AvailabilitySlotsTable;
  provider_events: ProviderEventsTable;
  provider_checkouts: ProviderCheckoutsTable;
  session_extensions: SessionExtensionsTable;
  provider_refunds: ProviderRefundsTable;
  session_ratings: SessionRatingsTable;
  session_notes: SessionNotesTable;
  notifications: NotificationsTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  files: FilesTable;
  server_secrets: ServerSecretsTable;
}
