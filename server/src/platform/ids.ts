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

let last = { ms: 0, counter: 0 };

// Entropy for ids is drawn 4 KiB at a time (as crypto.randomUUID does): one call to the OS's
// source per id cost more than the rest of making it — 8 % of the gateway's CPU under a chat
// flood (docs/PERFORMANCE.md, bench/realtime). Secrets still draw their own (`secret`).
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function randomTen(): Buffer {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += 10;
  return pool.subarray(poolAt - 10, poolAt);
}

/**
 * UUIDv7 whose 12-bit `rand_a` field is a counter within one millisecond (RFC 9562 §6.2,
 * method 1), so ids made by one process sort in the order they were made.
 */
function monotonicUuidv7(): string {
  const now = Date.now();
  const random = randomTen();
  if (now <= last.ms && last.counter < 0xfff) {
    last = { ms: last.ms, counter: last.counter + 1 };
  } else {
    last = { ms: Math.max(now, last.ms + (now <= last.ms ? 1 : 0)), counter: random.readUInt16BE(0) & 0x7ff };
  }
  random.writeUInt16BE(last.counter, 0);
  return uuidv7(last.ms, random);
}

export function uuidv7(ms: number, random: Uint8Array): string {
  const b = Buffer.alloc(16);
  b.writeUIntBE(ms, 0, 6);
  Buffer.from(random.subarray(0, 10)).copy(b, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Secrets (join tokens, API keys, sign-in cookies) are stored only as this hash. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
