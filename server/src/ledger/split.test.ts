import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { split } from './split.ts';

describe('L5: the split', () => {
  it('parts are non-negative integers that add up exactly to the charge', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        (amount, pct) => {
          const { expert, platform } = split(amount, pct);
          expect(expert + platform).toBe(amount);
          expect(Number.isInteger(expert) && Number.isInteger(platform)).toBe(true);
          expect(expert).toBeGreaterThanOrEqual(0);
          expect(platform).toBeGreaterThanOrEqual(0);
          expect(Math.abs(expert - (amount * pct) / 100)).toBeLessThan(1);
        },
      ),
      { numRuns: 5000 },
    );
  });
  it('default 70/30 on the examples in docs/LEDGER.md', () => {
    expect(split(150, 70)).toEqual({ expert: 105, platform: 45 });
    expect(split(99, 70)).toEqual({ expert: 69, platform: 30 });
    expect(split(1, 70)).toEqual({ expert: 0, platform: 1 });
  });
  it('refuses fractions and negatives', () => {
    expect(() => split(1.5, 70)).toThrow(RangeError);
    expect(() => split(-1, 70)).toThrow(RangeError);
    expect(() => split(10, 101)).toThrow(RangeError);
  });
});
