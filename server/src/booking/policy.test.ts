import { expect, it } from 'vitest';
import { refundAmount, refundPercent } from './policy.ts';

const policy = { fullHours: 24, partialHours: 2, partialPercent: 50 };
const start = new Date('2026-03-10T12:00:00Z');
const before = (hours: number) => new Date(start.getTime() - hours * 3_600_000);

it('client: 100 % from 24 h before, 50 % from 2 h, nothing later — edges included', () => {
  expect(refundPercent('client', start, before(48), policy)).toBe(100);
  expect(refundPercent('client', start, before(24), policy)).toBe(100);
  expect(refundPercent('client', start, before(23.99), policy)).toBe(50);
  expect(refundPercent('client', start, before(2), policy)).toBe(50);
  expect(refundPercent('client', start, before(1.99), policy)).toBe(0);
  expect(refundPercent('client', start, before(-1), policy)).toBe(0);
});

it('expert or operator: always everything back to the client', () => {
  for (const by of ['expert', 'operator'] as const)
    expect(refundPercent(by, start, before(0.1), policy)).toBe(100);
});

it('amounts round down', () => {
  expect(refundAmount(2500, 50)).toBe(1250);
  expect(refundAmount(999, 50)).toBe(499);
  expect(refundAmount(1, 50)).toBe(0);
  expect(refundAmount(2500, 100)).toBe(2500);
});
