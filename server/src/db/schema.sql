-- The schema that server/src/db/migrate.ts makes (migrations, then functions), as
-- pg_dump --schema-only prints it. Generated: npm run db:schema. Do not edit.
--
-- PostgreSQL database dump
--

--
-- Name: btree_gist; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

--
-- Name: EXTENSION btree_gist; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION btree_gist IS 'support for indexing common datatypes in GiST';

--
-- Name: hg_charge_due(timestamp with time zone, integer, integer, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.hg_charge_due(p_now timestamp with time zone, p_limit integer, p_pct integer, p_low_minutes integer) RETURNS TABLE(session_id uuid, charged boolean, minute integer, rate integer, balance bigint, paid_until timestamp with time zone, warn boolean)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
begin
  return query
  with due as (
    select s.id, s.client_id, s.expert_id, s.rate_per_minute as rate, s.paid_until, s.billed_seconds / 60 + 1 as n,
      s.low_balance_warned_at is null as unwarned
    from sessions s
    where s.state = 'live' and s.kind = 'on_demand' and s.paid_until <= p_now and s.paused_at is null and s.client_away_since is null and s.expert_away_since is null order by s.paid_until limit p_limit for update skip locked
  ),
  -- One wallet is debited once per statement: a client's other due sessions wait for the next.
  picked as (
    select * from (select d.*, row_number() over (partition by d.client_id order by d.paid_until, d.id) as k from due d) x where x.k = 1
  ),
  paid as (
    update ledger_accounts w set balance = w.balance - p.rate
    from picked p where w.id = 'wallet:' || p.client_id and w.balance >= p.rate
    returning p.*, w.balance as new_balance
  ),
  moved as (
    insert into ledger_transfers (id, debit_account, credit_account, amount, kind, session_id, pending, created_at)
    select 'ppm:' || id || ':' || n, 'wallet:' || client_id, 'earnings:' || expert_id, rate, 'charge', id, false, paid_until from paid
    union all
    select 'ppm:' || id || ':' || n || ':fee', 'earnings:' || expert_id, 'platform:revenue', rate - floor(rate * p_pct / 100)::int, 'charge_fee', id, false, paid_until
    from paid where rate - floor(rate * p_pct / 100)::int > 0
  ),
  advanced as (
    update sessions s set
      paid_until = s.paid_until + interval '1 minute',
      billed_seconds = s.billed_seconds + 60,
      version = s.version + 1,
      -- Re-armed by a top-up, so a second drop warns again.
      low_balance_warned_at = case when p.new_balance < p.rate * p_low_minutes then coalesce(s.low_balance_warned_at, p.paid_until) end
    from paid p where s.id = p.id
  )
  select d.id, p.id is not null, p.n, p.rate, p.new_balance, p.paid_until, p.unwarned and p.new_balance < p.rate * p_low_minutes
  from due d left join paid p on p.id = d.id;
end $$;

--
-- Name: hg_charge_session(uuid, timestamp with time zone, integer, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.hg_charge_session(p_session uuid, p_now timestamp with time zone, p_pct integer, p_low_minutes integer) RETURNS TABLE(session_id uuid, charged boolean, minute integer, rate integer, balance bigint, paid_until timestamp with time zone, warn boolean)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
begin
  return query
  with due as (
    select s.id, s.client_id, s.expert_id, s.rate_per_minute as rate, s.paid_until, s.billed_seconds / 60 + 1 as n,
      s.low_balance_warned_at is null as unwarned
    from sessions s
    where s.state = 'live' and s.kind = 'on_demand' and s.paid_until <= p_now and s.paused_at is null and s.id = p_session for update
  ),
  -- One wallet is debited once per statement: a client's other due sessions wait for the next.
  picked as (
    select * from (select d.*, row_number() over (partition by d.client_id order by d.paid_until, d.id) as k from due d) x where x.k = 1
  ),
  paid as (
    update ledger_accounts w set balance = w.balance - p.rate
    from picked p where w.id = 'wallet:' || p.client_id and w.balance >= p.rate
    returning p.*, w.balance as new_balance
  ),
  moved as (
    insert into ledger_transfers (id, debit_account, credit_account, amount, kind, session_id, pending, created_at)
    select 'ppm:' || id || ':' || n, 'wallet:' || client_id, 'earnings:' || expert_id, rate, 'charge', id, false, paid_until from paid
    union all
    select 'ppm:' || id || ':' || n || ':fee', 'earnings:' || expert_id, 'platform:revenue', rate - floor(rate * p_pct / 100)::int, 'charge_fee', id, false, paid_until
    from paid where rate - floor(rate * p_pct / 100)::int > 0
  ),
  advanced as (
    update sessions s set
      paid_until = s.paid_until + interval '1 minute',
      billed_seconds = s.billed_seconds + 60,
      version = s.version + 1,
      -- Re-armed by a top-up, so a second drop warns again.
      low_balance_warned_at = case when p.new_balance < p.rate * p_low_minutes then coalesce(s.low_balance_warned_at, p.paid_until) end
    from paid p where s.id = p.id
  )
  select d.id, p.id is not null, p.n, p.rate, p.new_balance, p.paid_until, p.unwarned and p.new_balance < p.rate * p_low_minutes
  from due d left join paid p on p.id = d.id;
end $$;

--
-- Name: hg_chat_messages_name_sessions(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.hg_chat_messages_name_sessions() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  found_sessions bigint;
begin
  perform 1 from sessions s where s.id in (select m.session_id from new_messages m) for key share;
  get diagnostics found_sessions = row_count;
  if found_sessions <> (select count(distinct m.session_id) from new_messages m) then
    raise foreign_key_violation using message = 'a chat message names no session', table = 'chat_messages';
  end if;
  return null;
end $$;

--
-- Name: hg_chat_send(timestamp with time zone, uuid[], text[], text[], text[], uuid[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.hg_chat_send(p_now timestamp with time zone, p_sessions uuid[], p_roles text[], p_client_ids text[], p_texts text[], p_ids uuid[]) RETURNS TABLE(ord integer, outcome text, state text, msg_id uuid, seq integer, stored_text text, stored_at timestamp with time zone)
    LANGUAGE plpgsql
    AS $$
begin
  perform 1 from sessions s where s.id = any(p_sessions) order by s.id for update;
  return query
  with input as (
    select t.*, s.id is not null as found, s.state as s_state, s.chat_seq,
      coalesce(s.state in ('accepted', 'booked', 'open', 'live'), false) as open,
      c.id as st_id, c.seq as st_seq, c.text as st_text, c.created_at as st_at,
      row_number() over (partition by t.session_id, t.role, t.client_msg_id order by t.ord) = 1 as first
    from unnest(p_sessions, p_roles, p_client_ids, p_texts, p_ids)
      with ordinality as t(session_id, role, client_msg_id, body, id, ord)
    left join sessions s on s.id = t.session_id
    -- One probe of the unique index per message. As a plain join the planner, trusting
    -- statistics that lag behind a table growing by thousands of rows a second, hashed the
    -- whole table for every batch; a lateral subquery with a limit is not flattened into one.
    left join lateral (
      select c.id, c.seq, c.text, c.created_at from chat_messages c
      where c.session_id = t.session_id and c.sender_role = t.role and c.client_msg_id = t.client_msg_id
      limit 1
    ) c on true
  ),
  numbered as (
    select i.*, i.first and i.open and i.st_id is null as creates,
      (i.chat_seq + count(*) filter (where i.first and i.open and i.st_id is null)
        over (partition by i.session_id order by i.ord))::int as new_seq
    from input i
  ),
  inserted as (
    insert into chat_messages (id, session_id, seq, sender_role, client_msg_id, text, created_at)
    select n.id, n.session_id, n.new_seq, n.role, n.client_msg_id, n.body, p_now from numbered n where n.creates
  ),
  bumped as (
    update sessions s set chat_seq = s.chat_seq + c.n
    from (select n.session_id, count(*)::int as n from numbered n where n.creates group by n.session_id) c where s.id = c.session_id
  ),
  -- A second copy inside the batch answers what its first copy answers.
  answered as (
    select n.*,
      first_value(n.creates) over w as first_creates, first_value(n.id) over w as first_id,
      first_value(n.new_seq) over w as first_seq, first_value(n.body) over w as first_body
    from numbered n
    window w as (partition by n.session_id, n.role, n.client_msg_id order by n.ord)
  )
  select a.ord::int,
    case when a.creates then 'created' when a.st_id is not null or a.first_creates then 'existing' when not a.found then 'not_found' else 'closed' end,
    case when not (a.creates or a.st_id is not null or a.first_creates) then a.s_state end,
    case when a.st_id is not null then a.st_id when a.first_creates then a.first_id end,
    case when a.st_id is not null then a.st_seq when a.first_creates then a.first_seq end,
    case when a.creates then null when a.st_id is not null then a.st_text when a.first_creates then a.first_body end,
    case when a.creates then null when a.st_id is not null then a.st_at when a.first_creates then p_now end
  from answered a
  order by a.ord;
end $$;

--
-- Name: hg_chat_store(timestamp with time zone, uuid[], text[], text[], text[], uuid[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.hg_chat_store(p_now timestamp with time zone, p_sessions uuid[], p_roles text[], p_client_ids text[], p_texts text[], p_ids uuid[]) RETURNS TABLE(ord integer, outcome text, state text, msg_id uuid, seq integer, stored_text text, stored_at timestamp with time zone)
    LANGUAGE plpgsql
    AS $$
declare
  created int;
  first_ords int[];
  first_seqs int[];
begin
  -- Each session's lock, in one order (no deadlock with another batch): its counter, its state
  -- and its messages stay as read until this transaction ends.
  perform 1 from sessions s where s.id = any(p_sessions) order by s.id for update;

  -- The fast way: every message new, in an open session. Any other batch is undone and goes the
  -- full way below: a copy stored before or a second copy within the batch (the unique key
  -- refuses it), or a message to a closed or unknown session (not every message is created).
  begin
    with input as (
      select t.*, s.chat_seq
      from unnest(p_sessions, p_roles, p_client_ids, p_texts, p_ids)
        with ordinality as t(session_id, role, client_msg_id, body, id, ord)
      join sessions s on s.id = t.session_id and s.state in ('accepted', 'booked', 'open', 'live')
    ),
    numbered as (
      select i.*, (i.chat_seq + count(*) over (partition by i.session_id order by i.ord))::int as new_seq from input i
    ),
    inserted as (
      insert into chat_messages (id, session_id, seq, sender_role, client_msg_id, text, created_at)
      select n.id, n.session_id, n.new_seq, n.role, n.client_msg_id, n.body, p_now from numbered n
      order by n.session_id, n.new_seq
    ),
    bumped as (
      update sessions s set chat_seq = s.chat_seq + c.n
      from (select n.session_id, count(*)::int as n from numbered n group by n.session_id) c where s.id = c.session_id
    )
    select count(*)::int,
      array_agg(n.ord::int order by n.ord) filter (where n.new_seq = n.chat_seq + 1),
      array_agg(n.new_seq order by n.ord) filter (where n.new_seq = n.chat_seq + 1)
    into created, first_ords, first_seqs
    from numbered n;
    if created <> cardinality(p_sessions) then
      raise exception using errcode = 'HG001', message = 'not every message of the batch is new in an open session';
    end if;
    -- Of each session's new messages only the first, with its seq: the rest follow it.
    return query select u.o, 'created'::text, null::text, null::uuid, u.s, null::text, null::timestamptz
      from unnest(first_ords, first_seqs) as u(o, s);
    return;
  exception when unique_violation or sqlstate 'HG001' then
    -- Undone, rows and counters alike; the sessions stay locked (taken before this block).
  end;

  -- The full way is hg_chat_send itself, each message looked up; of its answers, a session's
  -- new messages after its first are left out, as the fast way leaves them out.
  return query
    select r.ord, r.outcome, r.state, r.msg_id, r.seq, r.stored_text, r.stored_at
    from (
      select c.*, c.outcome = 'created' and c.seq > min(c.seq) filter (where c.outcome = 'created') over (partition by t.session_id) as follows
      from hg_chat_send(p_now, p_sessions, p_roles, p_client_ids, p_texts, p_ids) c
      join unnest(p_sessions) with ordinality as t(session_id, ord) on t.ord = c.ord
    ) r
    where not r.follows
    order by r.ord;
end $$;

--
-- Name: hg_sessions_keep_chat(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.hg_sessions_keep_chat() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if exists (select 1 from chat_messages m where m.session_id = old.id) then
    raise foreign_key_violation using message = 'the session has chat messages', table = 'sessions';
  end if;
  return null;
end $$;

--
-- Name: ledger_transfers_append_only(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.ledger_transfers_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  raise exception 'ledger transfers are append-only' using errcode = 'restrict_violation';
end $$;

--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    id uuid NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    key_hash text NOT NULL,
    created_by uuid,
    created_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone
);

--
-- Name: auth_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_sessions (
    id_hash text NOT NULL,
    user_id uuid NOT NULL,
    csrf_hash text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

--
-- Name: availability_slots; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.availability_slots (
    id uuid NOT NULL,
    expert_id uuid NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    duration_minutes integer NOT NULL,
    types jsonb NOT NULL,
    price integer NOT NULL,
    session_id uuid,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT availability_slots_duration_minutes_check CHECK ((duration_minutes = ANY (ARRAY[15, 30, 45, 60]))),
    CONSTRAINT availability_slots_price_check CHECK ((price > 0))
);

--
-- Name: chat_messages; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chat_messages (
    id uuid NOT NULL,
    session_id uuid NOT NULL,
    seq integer NOT NULL,
    sender_role text NOT NULL,
    client_msg_id text NOT NULL,
    text text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT chat_messages_client_msg_id_check CHECK (((length(client_msg_id) >= 1) AND (length(client_msg_id) <= 64))),
    CONSTRAINT chat_messages_sender_role_check CHECK ((sender_role = ANY (ARRAY['client'::text, 'expert'::text]))),
    CONSTRAINT chat_messages_seq_check CHECK ((seq > 0)),
    CONSTRAINT chat_messages_text_check CHECK (((length(text) >= 1) AND (length(text) <= 4000)))
);

--
-- Name: expert_profiles; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.expert_profiles (
    user_id uuid NOT NULL,
    bio text DEFAULT ''::text NOT NULL,
    avatar_url text,
    categories jsonb DEFAULT '[]'::jsonb NOT NULL,
    rates jsonb DEFAULT '{}'::jsonb NOT NULL,
    flat_prices jsonb DEFAULT '{}'::jsonb NOT NULL,
    presence text DEFAULT 'offline'::text NOT NULL,
    rating_avg numeric(3,2),
    rating_count integer DEFAULT 0 NOT NULL,
    no_show_count integer DEFAULT 0 NOT NULL,
    CONSTRAINT expert_profiles_presence_check CHECK ((presence = ANY (ARRAY['online'::text, 'busy'::text, 'offline'::text]))),
    CONSTRAINT expert_profiles_rating_count_check CHECK ((rating_count >= 0))
);

--
-- Name: expert_schedules; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.expert_schedules (
    expert_id uuid NOT NULL,
    time_zone text NOT NULL,
    weekly jsonb DEFAULT '[]'::jsonb NOT NULL,
    overrides jsonb DEFAULT '[]'::jsonb NOT NULL,
    buffer_minutes integer DEFAULT 0 NOT NULL,
    min_notice_minutes integer DEFAULT 120 NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT expert_schedules_buffer_minutes_check CHECK (((buffer_minutes >= 0) AND (buffer_minutes <= 240))),
    CONSTRAINT expert_schedules_min_notice_minutes_check CHECK (((min_notice_minutes >= 0) AND (min_notice_minutes <= 86400))),
    CONSTRAINT expert_schedules_time_zone_check CHECK (((length(time_zone) >= 1) AND (length(time_zone) <= 64)))
);

--
-- Name: files; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.files (
    id uuid NOT NULL,
    session_id uuid NOT NULL,
    uploader_id uuid NOT NULL,
    name text NOT NULL,
    mime text,
    size bigint DEFAULT 0 NOT NULL,
    state text DEFAULT 'uploading'::text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT files_check CHECK (((state = 'uploading'::text) OR ((mime IS NOT NULL) AND (size > 0)))),
    CONSTRAINT files_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT files_size_check CHECK ((size >= 0)),
    CONSTRAINT files_state_check CHECK ((state = ANY (ARRAY['uploading'::text, 'ready'::text])))
);

--
-- Name: host_identities; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.host_identities (
    issuer text NOT NULL,
    subject text NOT NULL,
    user_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL
);

--
-- Name: ledger_accounts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ledger_accounts (
    id text NOT NULL,
    kind text NOT NULL,
    owner_id uuid,
    currency text NOT NULL,
    balance bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT ledger_accounts_check CHECK (((kind <> ALL (ARRAY['wallet'::text, 'escrow'::text])) OR (balance >= 0))),
    CONSTRAINT ledger_accounts_check1 CHECK (((kind = ANY (ARRAY['wallet'::text, 'escrow'::text])) OR (balance = 0))),
    CONSTRAINT ledger_accounts_kind_check CHECK ((kind = ANY (ARRAY['wallet'::text, 'escrow'::text, 'earnings'::text, 'payouts'::text, 'platform_revenue'::text, 'provider_cash'::text, 'in_flight'::text])))
);

--
-- Name: ledger_transfers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ledger_transfers (
    seq bigint NOT NULL,
    id text NOT NULL,
    debit_account text NOT NULL,
    credit_account text NOT NULL,
    amount bigint NOT NULL,
    kind text NOT NULL,
    session_id uuid,
    pending boolean DEFAULT false NOT NULL,
    post_to text,
    resolves text,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT ledger_transfers_amount_check CHECK ((amount > 0)),
    CONSTRAINT ledger_transfers_check CHECK ((debit_account <> credit_account)),
    CONSTRAINT ledger_transfers_check1 CHECK ((pending = (post_to IS NOT NULL))),
    CONSTRAINT ledger_transfers_check2 CHECK ((NOT (pending AND (resolves IS NOT NULL)))),
    CONSTRAINT ledger_transfers_id_check CHECK (((length(id) >= 1) AND (length(id) <= 200)))
);

--
-- Name: ledger_transfers_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.ledger_transfers ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.ledger_transfers_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: login_failures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.login_failures (
    key text NOT NULL,
    failures integer NOT NULL,
    window_started_at timestamp with time zone NOT NULL
);

--
-- Name: notifications; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notifications (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    kind text NOT NULL,
    session_id uuid,
    data jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    read_at timestamp with time zone
);

--
-- Name: provider_checkouts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provider_checkouts (
    id text NOT NULL,
    provider text NOT NULL,
    purpose text NOT NULL,
    user_id uuid NOT NULL,
    key text NOT NULL,
    amount bigint NOT NULL,
    session_id uuid,
    payment_ref text,
    state text DEFAULT 'open'::text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    paid_at timestamp with time zone,
    CONSTRAINT provider_checkouts_amount_check CHECK ((amount > 0)),
    CONSTRAINT provider_checkouts_id_check CHECK (((length(id) >= 1) AND (length(id) <= 255))),
    CONSTRAINT provider_checkouts_key_check CHECK (((length(key) >= 1) AND (length(key) <= 200))),
    CONSTRAINT provider_checkouts_purpose_check CHECK ((purpose = ANY (ARRAY['top_up'::text, 'booking'::text, 'extension'::text]))),
    CONSTRAINT provider_checkouts_state_check CHECK ((state = ANY (ARRAY['open'::text, 'paid'::text])))
);

--
-- Name: provider_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provider_events (
    id text NOT NULL,
    provider text NOT NULL,
    type text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    applied_at timestamp with time zone NOT NULL,
    payload jsonb NOT NULL,
    CONSTRAINT provider_events_id_check CHECK (((length(id) >= 1) AND (length(id) <= 255)))
);

--
-- Name: provider_refunds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provider_refunds (
    id text NOT NULL,
    provider text NOT NULL,
    user_id uuid NOT NULL,
    payment_ref text NOT NULL,
    amount bigint NOT NULL,
    reason text NOT NULL,
    session_id uuid,
    state text DEFAULT 'pending'::text NOT NULL,
    provider_ref text,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    CONSTRAINT provider_refunds_amount_check CHECK ((amount > 0)),
    CONSTRAINT provider_refunds_id_check CHECK (((length(id) >= 1) AND (length(id) <= 255))),
    CONSTRAINT provider_refunds_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'succeeded'::text, 'failed'::text])))
);

--
-- Name: realtime_connections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.realtime_connections (
    socket_id text NOT NULL,
    node_id text NOT NULL,
    session_id uuid NOT NULL,
    role text NOT NULL,
    connected_at timestamp with time zone NOT NULL,
    CONSTRAINT realtime_connections_role_check CHECK ((role = ANY (ARRAY['client'::text, 'expert'::text]))),
    CONSTRAINT realtime_connections_socket_id_check CHECK (((length(socket_id) >= 1) AND (length(socket_id) <= 64)))
);

--
-- Name: realtime_nodes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.realtime_nodes (
    id text NOT NULL,
    seen_at timestamp with time zone NOT NULL,
    CONSTRAINT realtime_nodes_id_check CHECK (((length(id) >= 1) AND (length(id) <= 64)))
);

--
-- Name: schema_functions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_functions (
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: server_secrets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.server_secrets (
    name text NOT NULL,
    value text NOT NULL
);

--
-- Name: session_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.session_events (
    seq bigint NOT NULL,
    id uuid NOT NULL,
    session_id uuid NOT NULL,
    at timestamp with time zone NOT NULL,
    actor_id uuid,
    actor_role text NOT NULL,
    kind text NOT NULL,
    data jsonb DEFAULT '{}'::jsonb NOT NULL
);

--
-- Name: session_events_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.session_events ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.session_events_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: session_extensions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.session_extensions (
    id uuid NOT NULL,
    session_id uuid NOT NULL,
    client_id uuid NOT NULL,
    minutes integer NOT NULL,
    amount bigint NOT NULL,
    pay_with text NOT NULL,
    state text NOT NULL,
    idempotency_key text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    settled_at timestamp with time zone,
    CONSTRAINT session_extensions_amount_check CHECK ((amount > 0)),
    CONSTRAINT session_extensions_idempotency_key_check CHECK (((length(idempotency_key) >= 1) AND (length(idempotency_key) <= 200))),
    CONSTRAINT session_extensions_minutes_check CHECK (((minutes >= 1) AND (minutes <= 240))),
    CONSTRAINT session_extensions_pay_with_check CHECK ((pay_with = ANY (ARRAY['wallet'::text, 'checkout'::text]))),
    CONSTRAINT session_extensions_state_check CHECK ((state = ANY (ARRAY['awaiting_payment'::text, 'applied'::text, 'refunded'::text])))
);

--
-- Name: session_notes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.session_notes (
    session_id uuid NOT NULL,
    author_id uuid NOT NULL,
    kind text NOT NULL,
    text text NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT session_notes_kind_check CHECK ((kind = ANY (ARRAY['summary'::text, 'private'::text]))),
    CONSTRAINT session_notes_text_check CHECK ((length(text) <= 10000))
);

--
-- Name: session_ratings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.session_ratings (
    session_id uuid NOT NULL,
    client_id uuid NOT NULL,
    expert_id uuid NOT NULL,
    stars smallint NOT NULL,
    text text DEFAULT ''::text NOT NULL,
    counts_in_average boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT session_ratings_stars_check CHECK (((stars >= 1) AND (stars <= 5))),
    CONSTRAINT session_ratings_text_check CHECK ((length(text) <= 2000))
);

--
-- Name: session_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.session_tokens (
    token_hash text NOT NULL,
    session_id uuid NOT NULL,
    participant_id uuid NOT NULL,
    role text NOT NULL,
    valid_until timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT session_tokens_role_check CHECK ((role = ANY (ARRAY['client'::text, 'expert'::text])))
);

--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    id uuid NOT NULL,
    kind text NOT NULL,
    type text NOT NULL,
    state text NOT NULL,
    end_reason text,
    client_id uuid NOT NULL,
    expert_id uuid NOT NULL,
    rate_per_minute integer,
    price integer,
    duration_minutes integer,
    scheduled_at timestamp with time zone,
    started_at timestamp with time zone,
    ends_at timestamp with time zone,
    paid_until timestamp with time zone,
    ended_at timestamp with time zone,
    client_joined_at timestamp with time zone,
    expert_joined_at timestamp with time zone,
    billed_seconds integer DEFAULT 0 NOT NULL,
    notes text,
    version integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone NOT NULL,
    escrow_state text,
    escrow_release_at timestamp with time zone,
    disputed_at timestamp with time zone,
    dispute_reason text,
    low_balance_warned_at timestamp with time zone,
    chat_seq integer DEFAULT 0 NOT NULL,
    client_away_since timestamp with time zone,
    expert_away_since timestamp with time zone,
    paused_at timestamp with time zone,
    paused_ms integer DEFAULT 0 NOT NULL,
    booked_range tstzrange,
    request_expires_at timestamp with time zone,
    payment_due_at timestamp with time zone,
    CONSTRAINT sessions_check CHECK ((client_id <> expert_id)),
    CONSTRAINT sessions_check1 CHECK (((kind <> 'scheduled'::text) OR ((scheduled_at IS NOT NULL) AND (duration_minutes IS NOT NULL)))),
    CONSTRAINT sessions_check2 CHECK (((state = 'ended'::text) = ((ended_at IS NOT NULL) AND (end_reason IS NOT NULL)))),
    CONSTRAINT sessions_check3 CHECK (((state <> ALL (ARRAY['live'::text, 'ended'::text])) OR (started_at IS NOT NULL) OR (state = 'ended'::text))),
    CONSTRAINT sessions_duration_minutes_check CHECK ((duration_minutes = ANY (ARRAY[15, 30, 45, 60]))),
    CONSTRAINT sessions_escrow_state_check CHECK ((escrow_state = ANY (ARRAY['held'::text, 'released'::text, 'refunded'::text, 'settled'::text, 'disputed'::text]))),
    CONSTRAINT sessions_kind_check CHECK ((kind = ANY (ARRAY['scheduled'::text, 'on_demand'::text]))),
    CONSTRAINT sessions_paused_ms_check CHECK ((paused_ms >= 0)),
    CONSTRAINT sessions_price_check CHECK ((price >= 0)),
    CONSTRAINT sessions_rate_per_minute_check CHECK ((rate_per_minute > 0)),
    CONSTRAINT sessions_state_check CHECK ((state = ANY (ARRAY['requested'::text, 'accepted'::text, 'booked'::text, 'open'::text, 'live'::text, 'ended'::text, 'declined'::text, 'expired'::text, 'cancelled'::text, 'no_show'::text]))),
    CONSTRAINT sessions_type_check CHECK ((type = ANY (ARRAY['chat'::text, 'voice'::text, 'video'::text])))
)
WITH (fillfactor='80');

--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid NOT NULL,
    role text NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    password_hash text,
    created_at timestamp with time zone NOT NULL,
    disabled_at timestamp with time zone,
    CONSTRAINT users_email_check CHECK ((email = lower(email))),
    CONSTRAINT users_role_check CHECK ((role = ANY (ARRAY['client'::text, 'expert'::text, 'admin'::text])))
);

--
-- Name: webhook_deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_deliveries (
    id uuid NOT NULL,
    subscription_id uuid NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone,
    last_status integer,
    last_error text,
    created_at timestamp with time zone NOT NULL,
    delivered_at timestamp with time zone,
    CONSTRAINT webhook_deliveries_check CHECK (((state = 'pending'::text) = (next_attempt_at IS NOT NULL))),
    CONSTRAINT webhook_deliveries_check1 CHECK (((state = 'delivered'::text) = (delivered_at IS NOT NULL))),
    CONSTRAINT webhook_deliveries_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])))
);

--
-- Name: webhook_subscriptions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_subscriptions (
    id uuid NOT NULL,
    url text NOT NULL,
    secret text NOT NULL,
    event_types text[] NOT NULL,
    description text,
    created_at timestamp with time zone NOT NULL,
    disabled_at timestamp with time zone,
    CONSTRAINT webhook_subscriptions_event_types_check CHECK ((cardinality(event_types) > 0))
);

--
-- Name: api_keys api_keys_key_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);

--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);

--
-- Name: auth_sessions auth_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_sessions
    ADD CONSTRAINT auth_sessions_pkey PRIMARY KEY (id_hash);

--
-- Name: availability_slots availability_slots_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.availability_slots
    ADD CONSTRAINT availability_slots_pkey PRIMARY KEY (id);

--
-- Name: chat_messages chat_messages_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chat_messages
    ADD CONSTRAINT chat_messages_pkey PRIMARY KEY (session_id, seq);

--
-- Name: chat_messages chat_messages_session_id_sender_role_client_msg_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chat_messages
    ADD CONSTRAINT chat_messages_session_id_sender_role_client_msg_id_key UNIQUE (session_id, sender_role, client_msg_id);

--
-- Name: expert_profiles expert_profiles_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.expert_profiles
    ADD CONSTRAINT expert_profiles_pkey PRIMARY KEY (user_id);

--
-- Name: expert_schedules expert_schedules_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.expert_schedules
    ADD CONSTRAINT expert_schedules_pkey PRIMARY KEY (expert_id);

--
-- Name: files files_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_pkey PRIMARY KEY (id);

--
-- Name: host_identities host_identities_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_identities
    ADD CONSTRAINT host_identities_pkey PRIMARY KEY (issuer, subject);

--
-- Name: host_identities host_identities_user_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_identities
    ADD CONSTRAINT host_identities_user_id_key UNIQUE (user_id);

--
-- Name: ledger_accounts ledger_accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_accounts
    ADD CONSTRAINT ledger_accounts_pkey PRIMARY KEY (id);

--
-- Name: ledger_transfers ledger_transfers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT ledger_transfers_pkey PRIMARY KEY (id);

--
-- Name: login_failures login_failures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_failures
    ADD CONSTRAINT login_failures_pkey PRIMARY KEY (key);

--
-- Name: notifications notifications_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notifications
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (id);

--
-- Name: provider_checkouts provider_checkouts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provider_checkouts
    ADD CONSTRAINT provider_checkouts_pkey PRIMARY KEY (id);

--
-- Name: provider_checkouts provider_checkouts_provider_user_id_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provider_checkouts
    ADD CONSTRAINT provider_checkouts_provider_user_id_key_key UNIQUE (provider, user_id, key);

--
-- Name: provider_events provider_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provider_events
    ADD CONSTRAINT provider_events_pkey PRIMARY KEY (id);

--
-- Name: provider_refunds provider_refunds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provider_refunds
    ADD CONSTRAINT provider_refunds_pkey PRIMARY KEY (id);

--
-- Name: realtime_connections realtime_connections_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.realtime_connections
    ADD CONSTRAINT realtime_connections_pkey PRIMARY KEY (socket_id);

--
-- Name: realtime_nodes realtime_nodes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.realtime_nodes
    ADD CONSTRAINT realtime_nodes_pkey PRIMARY KEY (id);

--
-- Name: schema_functions schema_functions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_functions
    ADD CONSTRAINT schema_functions_pkey PRIMARY KEY (name);

--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

--
-- Name: server_secrets server_secrets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.server_secrets
    ADD CONSTRAINT server_secrets_pkey PRIMARY KEY (name);

--
-- Name: session_events session_events_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_events
    ADD CONSTRAINT session_events_id_key UNIQUE (id);

--
-- Name: session_events session_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_events
    ADD CONSTRAINT session_events_pkey PRIMARY KEY (seq);

--
-- Name: session_extensions session_extensions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_extensions
    ADD CONSTRAINT session_extensions_pkey PRIMARY KEY (id);

--
-- Name: session_extensions session_extensions_session_id_idempotency_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_extensions
    ADD CONSTRAINT session_extensions_session_id_idempotency_key_key UNIQUE (session_id, idempotency_key);

--
-- Name: session_notes session_notes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_notes
    ADD CONSTRAINT session_notes_pkey PRIMARY KEY (session_id, author_id, kind);

--
-- Name: session_ratings session_ratings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_ratings
    ADD CONSTRAINT session_ratings_pkey PRIMARY KEY (session_id);

--
-- Name: session_tokens session_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_tokens
    ADD CONSTRAINT session_tokens_pkey PRIMARY KEY (token_hash);

--
-- Name: sessions sessions_one_booking_per_time; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_one_booking_per_time EXCLUDE USING gist (expert_id WITH =, booked_range WITH &&) WHERE (((booked_range IS NOT NULL) AND (state = ANY (ARRAY['booked'::text, 'open'::text, 'live'::text]))));

--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

--
-- Name: webhook_deliveries webhook_deliveries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);

--
-- Name: webhook_deliveries webhook_deliveries_subscription_id_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_subscription_id_event_id_key UNIQUE (subscription_id, event_id);

--
-- Name: webhook_subscriptions webhook_subscriptions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_subscriptions
    ADD CONSTRAINT webhook_subscriptions_pkey PRIMARY KEY (id);

--
-- Name: auth_sessions_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_sessions_user ON public.auth_sessions USING btree (user_id);

--
-- Name: availability_slots_expert; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX availability_slots_expert ON public.availability_slots USING btree (expert_id, starts_at);

--
-- Name: files_by_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX files_by_session ON public.files USING btree (session_id, id) WHERE (state = 'ready'::text);

--
-- Name: files_by_uploader; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX files_by_uploader ON public.files USING btree (uploader_id);

--
-- Name: files_uploading; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX files_uploading ON public.files USING btree (created_at) WHERE (state = 'uploading'::text);

--
-- Name: ledger_transfers_credit; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_transfers_credit ON public.ledger_transfers USING btree (credit_account, seq);

--
-- Name: ledger_transfers_debit; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_transfers_debit ON public.ledger_transfers USING btree (debit_account, seq);

--
-- Name: ledger_transfers_one_resolution; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX ledger_transfers_one_resolution ON public.ledger_transfers USING btree (resolves) WHERE (resolves IS NOT NULL);

--
-- Name: ledger_transfers_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_transfers_session ON public.ledger_transfers USING btree (session_id) WHERE (session_id IS NOT NULL);

--
-- Name: notifications_by_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX notifications_by_user ON public.notifications USING btree (user_id, id DESC);

--
-- Name: notifications_unread; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX notifications_unread ON public.notifications USING btree (user_id) WHERE (read_at IS NULL);

--
-- Name: provider_checkouts_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provider_checkouts_session ON public.provider_checkouts USING btree (session_id) WHERE (session_id IS NOT NULL);

--
-- Name: provider_refunds_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provider_refunds_due ON public.provider_refunds USING btree (next_attempt_at) WHERE (state = 'pending'::text);

--
-- Name: realtime_connections_node; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX realtime_connections_node ON public.realtime_connections USING btree (node_id);

--
-- Name: realtime_connections_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX realtime_connections_session ON public.realtime_connections USING btree (session_id, role);

--
-- Name: session_events_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX session_events_session ON public.session_events USING btree (session_id, seq);

--
-- Name: session_ratings_expert; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX session_ratings_expert ON public.session_ratings USING btree (expert_id) WHERE counts_in_average;

--
-- Name: session_tokens_one_active; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX session_tokens_one_active ON public.session_tokens USING btree (session_id, role) WHERE (revoked_at IS NULL);

--
-- Name: sessions_client; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_client ON public.sessions USING btree (client_id, id);

--
-- Name: sessions_escrow_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_escrow_due ON public.sessions USING btree (escrow_release_at) WHERE (escrow_state = 'held'::text);

--
-- Name: sessions_expert; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_expert ON public.sessions USING btree (expert_id, id);

--
-- Name: sessions_live_away; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_live_away ON public.sessions USING btree (id) WHERE ((state = 'live'::text) AND ((client_away_since IS NOT NULL) OR (expert_away_since IS NOT NULL)));

--
-- Name: sessions_live_on_demand; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_live_on_demand ON public.sessions USING btree (id) WHERE ((state = 'live'::text) AND (kind = 'on_demand'::text));

--
-- Name: sessions_payment_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_payment_due ON public.sessions USING btree (payment_due_at) WHERE (payment_due_at IS NOT NULL);

--
-- Name: sessions_request_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_request_due ON public.sessions USING btree (request_expires_at) WHERE (state = 'requested'::text);

--
-- Name: sessions_start_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_start_due ON public.sessions USING btree (scheduled_at) WHERE (state = ANY (ARRAY['booked'::text, 'open'::text]));

--
-- Name: users_email_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email);

--
-- Name: webhook_deliveries_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_due ON public.webhook_deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);

--
-- Name: webhook_deliveries_log; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_log ON public.webhook_deliveries USING btree (subscription_id, id DESC);

--
-- Name: chat_messages chat_messages_insert_names_sessions; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER chat_messages_insert_names_sessions AFTER INSERT ON public.chat_messages REFERENCING NEW TABLE AS new_messages FOR EACH STATEMENT EXECUTE FUNCTION public.hg_chat_messages_name_sessions();

--
-- Name: chat_messages chat_messages_update_names_sessions; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER chat_messages_update_names_sessions AFTER UPDATE ON public.chat_messages REFERENCING NEW TABLE AS new_messages FOR EACH STATEMENT EXECUTE FUNCTION public.hg_chat_messages_name_sessions();

--
-- Name: ledger_transfers ledger_transfers_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ledger_transfers_append_only BEFORE DELETE OR UPDATE ON public.ledger_transfers FOR EACH ROW EXECUTE FUNCTION public.ledger_transfers_append_only();

--
-- Name: sessions sessions_delete_keeps_chat; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sessions_delete_keeps_chat AFTER DELETE ON public.sessions FOR EACH ROW EXECUTE FUNCTION public.hg_sessions_keep_chat();

--
-- Name: sessions sessions_id_keeps_chat; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sessions_id_keeps_chat AFTER UPDATE OF id ON public.sessions FOR EACH ROW WHEN ((old.id <> new.id)) EXECUTE FUNCTION public.hg_sessions_keep_chat();

--
-- Name: api_keys api_keys_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.users(id);

--
-- Name: auth_sessions auth_sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_sessions
    ADD CONSTRAINT auth_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

--
-- Name: availability_slots availability_slots_expert_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.availability_slots
    ADD CONSTRAINT availability_slots_expert_id_fkey FOREIGN KEY (expert_id) REFERENCES public.users(id);

--
-- Name: availability_slots availability_slots_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.availability_slots
    ADD CONSTRAINT availability_slots_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: expert_profiles expert_profiles_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.expert_profiles
    ADD CONSTRAINT expert_profiles_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

--
-- Name: expert_schedules expert_schedules_expert_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.expert_schedules
    ADD CONSTRAINT expert_schedules_expert_id_fkey FOREIGN KEY (expert_id) REFERENCES public.users(id);

--
-- Name: files files_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: files files_uploader_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_uploader_id_fkey FOREIGN KEY (uploader_id) REFERENCES public.users(id);

--
-- Name: host_identities host_identities_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host_identities
    ADD CONSTRAINT host_identities_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

--
-- Name: ledger_transfers ledger_transfers_credit_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT ledger_transfers_credit_account_fkey FOREIGN KEY (credit_account) REFERENCES public.ledger_accounts(id);

--
-- Name: ledger_transfers ledger_transfers_debit_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT ledger_transfers_debit_account_fkey FOREIGN KEY (debit_account) REFERENCES public.ledger_accounts(id);

--
-- Name: ledger_transfers ledger_transfers_post_to_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT ledger_transfers_post_to_fkey FOREIGN KEY (post_to) REFERENCES public.ledger_accounts(id);

--
-- Name: ledger_transfers ledger_transfers_resolves_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT ledger_transfers_resolves_fkey FOREIGN KEY (resolves) REFERENCES public.ledger_transfers(id);

--
-- Name: ledger_transfers ledger_transfers_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_transfers
    ADD CONSTRAINT ledger_transfers_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: notifications notifications_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notifications
    ADD CONSTRAINT notifications_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: notifications notifications_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notifications
    ADD CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

--
-- Name: provider_checkouts provider_checkouts_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provider_checkouts
    ADD CONSTRAINT provider_checkouts_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: provider_checkouts provider_checkouts_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provider_checkouts
    ADD CONSTRAINT provider_checkouts_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

--
-- Name: provider_refunds provider_refunds_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provider_refunds
    ADD CONSTRAINT provider_refunds_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: provider_refunds provider_refunds_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provider_refunds
    ADD CONSTRAINT provider_refunds_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

--
-- Name: realtime_connections realtime_connections_node_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.realtime_connections
    ADD CONSTRAINT realtime_connections_node_id_fkey FOREIGN KEY (node_id) REFERENCES public.realtime_nodes(id) ON DELETE CASCADE;

--
-- Name: realtime_connections realtime_connections_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.realtime_connections
    ADD CONSTRAINT realtime_connections_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: session_events session_events_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_events
    ADD CONSTRAINT session_events_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: session_extensions session_extensions_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_extensions
    ADD CONSTRAINT session_extensions_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.users(id);

--
-- Name: session_extensions session_extensions_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_extensions
    ADD CONSTRAINT session_extensions_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: session_notes session_notes_author_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_notes
    ADD CONSTRAINT session_notes_author_id_fkey FOREIGN KEY (author_id) REFERENCES public.users(id);

--
-- Name: session_notes session_notes_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_notes
    ADD CONSTRAINT session_notes_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: session_ratings session_ratings_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_ratings
    ADD CONSTRAINT session_ratings_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.users(id);

--
-- Name: session_ratings session_ratings_expert_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_ratings
    ADD CONSTRAINT session_ratings_expert_id_fkey FOREIGN KEY (expert_id) REFERENCES public.users(id);

--
-- Name: session_ratings session_ratings_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_ratings
    ADD CONSTRAINT session_ratings_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: session_tokens session_tokens_participant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_tokens
    ADD CONSTRAINT session_tokens_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES public.users(id);

--
-- Name: session_tokens session_tokens_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_tokens
    ADD CONSTRAINT session_tokens_session_id_fkey FOREIGN KEY (session_id) REFERENCES public.sessions(id);

--
-- Name: sessions sessions_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.users(id);

--
-- Name: sessions sessions_expert_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_expert_id_fkey FOREIGN KEY (expert_id) REFERENCES public.users(id);

--
-- Name: webhook_deliveries webhook_deliveries_subscription_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES public.webhook_subscriptions(id);

--
-- PostgreSQL database dump complete
--
