import { createHash, randomBytes, randomFillSync } from 'node:crypto';

/** Ids and secrets are injected so tests can make them predictable where that helps. */
export interface Ids {
  /** A time-ordered UUID (v7): sortable, so it doubles as a pagination cursor. */
  uuid(): string;
  /** An unguessable secret: 256 bits from the OS's cryptographic source, base64url. */
  secret(prefix: string): string;
}

export const randomIds: Ids = {
  uuid: () => monotonicUuidv7(),
  secret: (prefix) => `${prefix}${randomBytes(32).toString('base64url')}`,
};

let lastMs = 0;
let lastCounter = 0;

// Entropy for ids is drawn 4 KiB at a time (as crypto.randomUUID does): one call to the OS's
// source per id cost more than the rest of making it — 8 % of the gateway's CPU under a chat
// flood (docs/perf-log/, bench/realtime). Secrets still draw their own (`secret`).
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
/** Where the next 10 random bytes start in `pool`. */
function randomTen(): number {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += 10;
  return poolAt - 10;
}

/**
 * UUIDv7 whose 12-bit `rand_a` field is a counter within one millisecond (RFC 9562 §6.2,
 * method 1), so ids made by one process sort in the order they were made. Made without a
 * buffer or an object per id: under a chat flood each message takes one, and those
 * allocations were 6 % of the gateway's (bench/realtime).
 */
function monotonicUuidv7(): string {
  const now = Date.now();
  const at = randomTen();
  if (now <= lastMs && lastCounter < 0xfff) lastCounter++;
  else {
    lastMs = Math.max(now, lastMs + (now <= lastMs ? 1 : 0));
    lastCounter = pool.readUInt16BE(at) & 0x7ff;
  }
  pool.writeUInt16BE(lastCounter, at);
  return format(lastMs, pool, at);
}

export const uuidv7 = (ms: number, random: Uint8Array): string => format(ms, random, 0);

// One buffer reused for every id: the hex conversion is native, the rest is slicing.
const bytes = Buffer.alloc(16);

/** The 48-bit millisecond time, then the 10 bytes at `at` with the version and variant bits set. */
function format(ms: number, random: Uint8Array, at: number): string {
  bytes.writeUIntBE(ms, 0, 6);
  for (let i = 0; i < 10; i++) bytes[6 + i] = random[at + i]!;
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Secrets (join tokens, API keys, sign-in cookies) are stored only as this hash. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
