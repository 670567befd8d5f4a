import { describe, expect, it } from 'vitest';
import { Id } from '@hourglass/protocol';
import { hashSecret, randomIds, uuidv7 } from './ids.ts';

describe('ids', () => {
  it('uuids are valid v7 and sort in creation order', () => {
    const a = uuidv7(1_000, new Uint8Array(10).fill(255));
    const b = uuidv7(1_001, new Uint8Array(10));
    expect(Id.safeParse(a).success).toBe(true);
    expect(a[14]).toBe('7');
    expect(a < b).toBe(true);
    // Made in the same millisecond, they still sort in the order they were made.
    const many = Array.from({ length: 5000 }, () => randomIds.uuid());
    expect(new Set(many).size).toBe(5000);
    expect([...many].sort()).toEqual(many);
    expect(many.every((id) => Id.safeParse(id).success && id[14] === '7')).toBe(true);
  });

  it('secrets carry 256 random bits and their hash is not the secret', () => {
    const s = randomIds.secret('hgj_');
    expect(s).toMatch(/^hgj_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s.slice(4), 'base64url')).toHaveLength(32);
    expect(randomIds.secret('hgj_')).not.toBe(s);
    expect(hashSecret(s)).not.toContain(s.slice(4));
    expect(hashSecret(s)).toBe(hashSecret(s));
  });
});
