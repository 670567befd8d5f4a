import { createHash, randomBytes } from 'node:crypto';

/** Ids and secrets are injected so tests can make them predictable where that helps. */
export interface Ids {
  /** A time-ordered UUID (v7): sortable, so it doubles as a pagination cursor. */
  uuid(): string;
  /** An unguessable secret: 256 bits from the OS's cryptographic source, base64url. */
  secret(prefix: string): string;
}

export const randomIds: Ids = {
  uuid: () => uuidv7(Date.now(), randomBytes(10)),
  secret: (prefix) => `${prefix}${randomBytes(32).toString('base64url')}`,
};

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
