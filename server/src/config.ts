import { z } from 'zod';

/**
 * Every setting of the server, validated at boot. Nothing else reads `process.env`: the rest of
 * the code receives a `Config`. Each entry's description is the documentation (README table,
 * `npm run docs:config`). Money is in minor units of CURRENCY.
 */
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z.object({
  PORT: int(0, 65535).default(3000).describe('HTTP port to listen on.'),
  HOST: z.string().min(1).default('0.0.0.0').describe('Interface to listen on.'),
  PUBLIC_URL: z
    .url()
    .optional()
    .describe('Base URL people reach; used in join links. Default http://localhost:PORT.'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('PostgreSQL server to use. Unset: the embedded database (PGlite) in DATA_DIR.'),
  DATA_DIR: z
    .string()
    .min(1)
    .default('.data')
    .describe('Folder for the embedded database and local files.'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional()
    .describe('Redis for fan-out between several nodes (realtime gateway). Unset: one node.'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - (at most 64)')
    .default('hourglass')
    .describe(
      'Prefix of every Redis channel this deployment uses: two deployments (staging and production) sharing one Redis need different ones. All nodes of one deployment must agree.',
    ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level (pino).'),
  ROLES: z
    .string()
    .default('api,realtime,sweeper')
    .pipe(
      z
        .string()
        .transform((s) => s.split(',').map((r) => r.trim()))
        .pipe(z.array(z.enum(['api', 'realtime', 'sweeper'])).min(1)),
    )
    .describe('Process roles to run, comma-separated (also `--roles=`).'),
  DEMO_SEED: bool
    .default(true)
    .describe('Seed demo users once and print demo sign-ins and join links at start.'),
  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('USD')
    .describe('ISO 4217 currency of all amounts.'),
  SPLIT_EXPERT_PERCENT: int(0, 100)
    .default(70)
    .describe("Expert's share of each charge, in percent; the platform keeps the rest."),
  ESCROW_RELEASE_HOURS: int(0, 24 * 60)
    .default(24)
    .describe('Hours after completion before escrow is released to the expert.'),
  START_WINDOW_BEFORE_MIN: int(0, 24 * 60)
    .default(5)
    .describe('Minutes before its time a scheduled session can be joined.'),
  START_WINDOW_AFTER_MIN: int(0, 24 * 60)
    .default(15)
    .describe('Minutes after its time a scheduled session can still be started.'),
  SLOT_PRICE_MIN: int(0, 100_000_000)
    .default(100)
    .describe('Lowest flat price of a slot (minor units).'),
  SLOT_PRICE_MAX: int(1, 100_000_000)
    .default(25_000)
    .describe('Highest flat price of a slot (minor units).'),
  CANCEL_FULL_REFUND_HOURS: int(0, 24 * 60)
    .default(24)
    .describe(
      'A client who cancels at least this many hours before the start gets everything back.',
    ),
  CANCEL_PARTIAL_REFUND_HOURS: int(0, 24 * 60)
    .default(2)
    .describe(
      'A client who cancels later, but at least this many hours before, gets CANCEL_PARTIAL_REFUND_PERCENT back; later still, nothing.',
    ),
  CANCEL_PARTIAL_REFUND_PERCENT: int(0, 100)
    .default(50)
    .describe(
      'The part refunded for a late cancellation by the client; the rest goes to the expert.',
    ),
  FILE_MAX_BYTES: int(1, 1024 ** 3)
    .default(10 * 1024 * 1024)
    .describe('Largest file that can be shared in a session.'),
  FILE_QUOTA_BYTES: int(1, 1024 ** 4)
    .default(100 * 1024 * 1024)
    .describe('Total size of the files one user may have shared, across sessions.'),
  FILE_STORAGE: z
    .enum(['local', 's3'])
    .default('local')
    .describe(
      'Where shared files are kept: `local` (DATA_DIR/files; one node) or `s3` (any S3-compatible store; several nodes).',
    ),
  FILE_UPLOAD_STALE_S: int(1, 24 * 3600)
    .default(900)
    .describe(
      'An upload unfinished after this many seconds (its process died) is removed, with what it wrote, by the sweep.',
    ),
  S3_ENDPOINT: z
    .url()
    .optional()
    .describe(
      'S3-compatible endpoint, e.g. https://s3.eu-west-1.amazonaws.com or a MinIO URL (path-style requests). Needed with FILE_STORAGE=s3.',
    ),
  S3_BUCKET: z
    .string()
    .min(3)
    .max(63)
    .optional()
    .describe('Bucket for shared files (FILE_STORAGE=s3).'),
  S3_REGION: z
    .string()
    .min(1)
    .default('us-east-1')
    .describe('Region the S3 requests are signed for.'),
  S3_ACCESS_KEY_ID: z
    .string()
    .min(1)
    .optional()
    .describe('Access key for the bucket (FILE_STORAGE=s3).'),
  S3_SECRET_ACCESS_KEY: z
    .string()
    .min(1)
    .optional()
    .describe('Secret key for the bucket (FILE_STORAGE=s3).'),
  MIN_BALANCE_MINUTES: int(1, 600)
    .default(3)
    .describe('Minutes of balance an on-demand request must cover.'),
  REQUEST_TTL_S: int(5, 3600)
    .default(60)
    .describe('Seconds an expert has to accept an on-demand request before it expires.'),
  REALTIME_MAX_SOCKETS: int(1, 100)
    .default(5)
    .describe('Open realtime connections one participant may hold at once (tabs, devices).'),
  REALTIME_RATE_PER_S: int(1, 10_000)
    .default(20)
    .describe('Realtime messages per second one connection may send, sustained.'),
  REALTIME_BURST: int(1, 10_000)
    .default(60)
    .describe('Realtime messages one connection may send in a burst before the rate applies.'),
  STUN_URLS: z
    .string()
    .default('stun:stun.l.google.com:19302')
    .pipe(
      z
        .string()
        .transform((v) =>
          v === 'none'
            ? []
            : v
                .split(',')
                .map((u) => u.trim())
                .filter(Boolean),
        )
        .pipe(z.array(z.string().regex(/^stuns?:/, 'must be stun: or stuns: URLs'))),
    )
    .describe(
      'STUN servers given to voice and video participants, comma-separated (`none`: none).',
    ),
  TURN_URLS: z
    .string()
    .default('')
    .pipe(
      z
        .string()
        .transform((v) =>
          v
            .split(',')
            .map((u) => u.trim())
            .filter(Boolean),
        )
        .pipe(z.array(z.string().regex(/^turns?:/, 'must be turn: or turns: URLs'))),
    )
    .describe('TURN servers (coturn with use-auth-secret), comma-separated. Needs TURN_SECRET.'),
  TURN_SECRET: z
    .string()
    .min(16)
    .optional()
    .describe(
      "coturn's static-auth-secret: TURN credentials are minted from it, valid TURN_TTL_S.",
    ),
  TURN_TTL_S: int(60, 7 * 24 * 3600)
    .default(3600)
    .describe('Seconds a minted TURN credential stays valid.'),
  PRESENCE_GRACE_S: int(0, 600)
    .default(15)
    .describe(
      "Seconds a live session's clock keeps running after a participant's last connection drops.",
    ),
  REJOIN_WINDOW_S: int(1, 3600)
    .default(120)
    .describe(
      'Seconds a dropped participant has to return before the session ends (participant_lost).',
    ),
  REALTIME_NODE_TTL_S: int(3, 600)
    .default(15)
    .describe(
      'A realtime node whose heartbeat is older than this is dead: its connections count as dropped.',
    ),
  LINK_VALID_HOURS: int(1, 24 * 365)
    .default(24)
    .describe('Join links of an on-demand session stay valid this long.'),
  AUTH_SESSION_DAYS: int(1, 365).default(7).describe('Days a web sign-in lasts.'),
  LOGIN_MAX_FAILURES: int(1, 1000)
    .default(5)
    .describe('Failed sign-ins per email within LOGIN_WINDOW_MIN before sign-in is refused.'),
  LOGIN_MAX_FAILURES_PER_IP: int(1, 100_000)
    .default(50)
    .describe('Failed sign-ins per client address within LOGIN_WINDOW_MIN.'),
  LOGIN_WINDOW_MIN: int(1, 24 * 60)
    .default(15)
    .describe('Window of the failed sign-in throttle, in minutes.'),
  HOST_JWT_JWKS_URL: z
    .url()
    .optional()
    .describe(
      "A host platform's JSON Web Key Set: its users' JWTs, signed by one of these keys, are accepted as a bearer credential wherever a signed-in user is (API and realtime user channel). Unset: host JWTs are refused.",
    ),
  HOST_JWT_ISSUER: z
    .string()
    .min(1)
    .optional()
    .describe('The `iss` a host JWT must carry (required with HOST_JWT_JWKS_URL).'),
  HOST_JWT_AUDIENCE: z
    .string()
    .min(1)
    .optional()
    .describe('The `aud` a host JWT must carry (required with HOST_JWT_JWKS_URL).'),
  HOST_JWT_ALGORITHMS: z
    .string()
    .default('RS256,ES256,EdDSA')
    .pipe(
      z
        .string()
        .transform((v) => v.split(',').map((a) => a.trim()))
        .pipe(z.array(z.enum(['RS256', 'ES256', 'EdDSA'])).min(1)),
    )
    .describe(
      'Signature algorithms accepted on host JWTs, comma-separated, of RS256, ES256 and EdDSA (never `none`, never a shared-secret HS*).',
    ),
  HOST_JWT_ROLE_CLAIM: z
    .string()
    .min(1)
    .default('role')
    .describe(
      "Claim holding the user's role: `client` or `expert` (absent: `client`). Operators are made inside Hourglass, never by a host token.",
    ),
  HOST_JWT_NAME_CLAIM: z
    .string()
    .min(1)
    .default('name')
    .describe('Claim holding the display name (absent: the subject).'),
  HOST_JWT_EMAIL_CLAIM: z
    .string()
    .min(1)
    .default('email')
    .describe('Claim holding the email address (optional).'),
  HOST_JWT_JWKS_TIMEOUT_MS: int(100, 60_000)
    .default(5000)
    .describe('How long a fetch of the key set may take before the token is refused.'),
  HOST_JWT_JWKS_CACHE_MS: int(0, 86_400_000)
    .default(600_000)
    .describe(
      'How long the fetched key set is trusted before it is fetched again: a key the host withdraws stops working after at most this long.',
    ),
  HOST_JWT_JWKS_COOLDOWN_MS: int(0, 3_600_000)
    .default(30_000)
    .describe(
      'After a fetch of the key set, how long before an unknown key id may fetch it again (a rotation is seen after at most this long).',
    ),
  PAYMENT_PROVIDER: z
    .enum(['local', 'stripe'])
    .default('local')
    .describe(
      'Payment provider for top-ups, bookings and extensions paid by card, and their refunds. `local` succeeds at once: for trying Hourglass only. `stripe` needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.',
    ),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_/, 'must be a Stripe secret or restricted key (sk_… or rk_…)')
    .optional()
    .describe(
      'Stripe API key for Checkout Sessions, refunds and reconciliation (PAYMENT_PROVIDER=stripe).',
    ),
  STRIPE_API_URL: z
    .url()
    .optional()
    .describe(
      "Where Stripe API calls go. Unset: Stripe's own API. Tests point it at a local fake.",
    ),
  CHECKOUT_HOLD_MIN: int(30, 24 * 60)
    .default(30)
    .describe(
      'Minutes a booking paid by card holds its time for the payment; unpaid, it is cancelled (Stripe allows 30 min to 24 h).',
    ),
  EXTENSION_MINUTES: z
    .string()
    .default('5,10,15')
    .pipe(
      z
        .string()
        .transform((v) => v.split(',').map((m) => Number(m.trim())))
        .pipe(z.array(z.number().int().min(1).max(240)).min(1)),
    )
    .describe(
      'Lengths, in minutes, of the paid extensions a client may buy during a live scheduled session, comma-separated.',
    ),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_/, 'must be a Stripe webhook signing secret (whsec_…)')
    .optional()
    .describe(
      "Stripe's webhook signing secret: POST /api/webhooks/stripe verifies every delivery with it. Unset: the endpoint answers not_found.",
    ),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000)
    .default(10_000)
    .describe(
      'How long an outbound webhook receiver has to answer before the attempt counts as failed.',
    ),
  WEBHOOK_RETRY_HOURS: int(1, 24 * 30)
    .default(72)
    .describe(
      'Hours a failing webhook delivery is retried, with exponential backoff, before it is given up.',
    ),
  TOP_UP_MIN: int(1, 100_000_000).default(100).describe('Smallest wallet top-up (minor units).'),
  TOP_UP_MAX: int(1, 100_000_000).default(100_000).describe('Largest wallet top-up (minor units).'),
  SWEEP_INTERVAL_MS: int(50, 60_000)
    .default(1000)
    .describe(
      'How often the sweeper looks for due work (billing minutes, deadlines, escrow releases).',
    ),
  CLOCK_SPEEDUP: int(1, 3600)
    .default(1)
    .describe(
      'Tests and demos only: the server clock runs this many times faster than the database clock, from CLOCK_EPOCH.',
    ),
  CLOCK_EPOCH: z.iso
    .datetime({ offset: true })
    .optional()
    .describe(
      'Where the sped-up clock starts (required with CLOCK_SPEEDUP > 1; the same on every node).',
    ),
  BODY_LIMIT_BYTES: int(1024, 100 * 1024 * 1024)
    .default(1024 * 1024)
    .describe('Largest JSON request body.'),
  TRUST_PROXY: bool
    .default(false)
    .describe('Trust X-Forwarded-* headers (set behind a load balancer).'),
  FAULTS: z
    .string()
    .regex(
      /^([a-z_.]+=kill(@[^,]+)?)(,[a-z_.]+=kill(@[^,]+)?)*$/,
      'point=kill or point=kill@text, comma-separated',
    )
    .optional()
    .describe(
      'Tests only: named points where this process kills itself (`chat.committed=kill@text`: after committing a chat batch that holds `text`, before publishing it). Never set in production.',
    ),
});

export type Config = z.output<typeof configSchema> & { publicUrl: string; cookieSecure: boolean };
export type ConfigEnv = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads settings from `env` (process.env at boot, a plain object in tests); lists every problem at once. */
export function loadConfig(env: ConfigEnv, argv: readonly string[] = []): Config {
  const fromArgs = argv.find((a) => a.startsWith('--roles='))?.slice('--roles='.length);
  const known = Object.fromEntries(
    Object.keys(configSchema.shape).flatMap((k) =>
      env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]],
    ),
  );
  if (fromArgs) known.ROLES = fromArgs;
  const parsed = configSchema.safeParse(known);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  if (parsed.success && parsed.data.TURN_URLS.length > 0 && !parsed.data.TURN_SECRET) {
    problems.push('TURN_SECRET: required when TURN_URLS is set');
  }
  if (parsed.success && parsed.data.SLOT_PRICE_MIN > parsed.data.SLOT_PRICE_MAX) {
    problems.push('SLOT_PRICE_MIN: must not exceed SLOT_PRICE_MAX');
  }
  if (
    parsed.success &&
    parsed.data.CANCEL_PARTIAL_REFUND_HOURS > parsed.data.CANCEL_FULL_REFUND_HOURS
  ) {
    problems.push('CANCEL_PARTIAL_REFUND_HOURS: must not exceed CANCEL_FULL_REFUND_HOURS');
  }
  if (parsed.success && parsed.data.TOP_UP_MIN > parsed.data.TOP_UP_MAX)
    problems.push('TOP_UP_MIN: must not exceed TOP_UP_MAX');
  if (parsed.success && parsed.data.PRESENCE_GRACE_S >= parsed.data.REJOIN_WINDOW_S)
    problems.push('PRESENCE_GRACE_S: must be shorter than REJOIN_WINDOW_S');
  if (parsed.success && parsed.data.PAYMENT_PROVIDER === 'stripe') {
    if (!parsed.data.STRIPE_SECRET_KEY)
      problems.push('STRIPE_SECRET_KEY: required when PAYMENT_PROVIDER=stripe');
    if (!parsed.data.STRIPE_WEBHOOK_SECRET)
      problems.push('STRIPE_WEBHOOK_SECRET: required when PAYMENT_PROVIDER=stripe');
  }
  if (parsed.success && parsed.data.HOST_JWT_JWKS_URL) {
    for (const k of ['HOST_JWT_ISSUER', 'HOST_JWT_AUDIENCE'] as const)
      if (!parsed.data[k]) problems.push(`${k}: required when HOST_JWT_JWKS_URL is set`);
  }
  if (parsed.success && parsed.data.FILE_STORAGE === 's3') {
    for (const k of [
      'S3_ENDPOINT',
      'S3_BUCKET',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
    ] as const)
      if (!parsed.data[k]) problems.push(`${k}: required when FILE_STORAGE=s3`);
  }
  if (parsed.success && parsed.data.CLOCK_SPEEDUP > 1 && !parsed.data.CLOCK_EPOCH)
    problems.push('CLOCK_EPOCH: required when CLOCK_SPEEDUP > 1');
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const publicUrl = (parsed.data.PUBLIC_URL ?? `http://localhost:${parsed.data.PORT}`).replace(
    /\/$/,
    '',
  );
  return { ...parsed.data, publicUrl, cookieSecure: publicUrl.startsWith('https://') };
}
