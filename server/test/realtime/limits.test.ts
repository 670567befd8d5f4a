import { describe, expect, it } from 'vitest';
import { fullTokens, takeToken, type Bucket } from '../../src/realtime/limits.ts';

describe('the per-connection token bucket', () => {
  const rate = 2;
  const burst = 3;
  const full = (now: number): Bucket => ({ tokens: fullTokens(burst), last: now });

  it('lets a burst through at once, then refuses until the rate has refilled a whole token', () => {
    const b = full(1_000);
    expect([1, 2, 3, 4].map(() => takeToken(b, rate, burst, 1_000))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // Two a second: a token takes 500 ms.
    expect(takeToken(b, rate, burst, 1_499)).toBe(false);
    expect(takeToken(b, rate, burst, 1_500)).toBe(true);
    expect(takeToken(b, rate, burst, 1_500)).toBe(false);
  });

  it('refills no further than the burst, however long it was idle', () => {
    const b = full(0);
    for (let i = 0; i < burst; i++) takeToken(b, rate, burst, 0);
    const after = 30 * 24 * 3_600_000;
    expect([1, 2, 3, 4].map(() => takeToken(b, rate, burst, after))).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('keeps whole numbers: thousandths of a token and milliseconds', () => {
    const b = full(0);
    for (const now of [0, 1, 7, 333, 334, 1_001]) {
      takeToken(b, rate, burst, now);
      expect(Number.isInteger(b.tokens) && Number.isInteger(b.last)).toBe(true);
    }
  });
});
