import { describe, expect, it } from 'vitest';
import { errorCodes, errorTable, isErrorCode, statusOf } from './errors.ts';

describe('error table', () => {
  it('every code maps to a 4xx or 5xx status and has a message', () => {
    for (const code of errorCodes) {
      expect(statusOf(code)).toBeGreaterThanOrEqual(400);
      expect(statusOf(code)).toBeLessThan(600);
      expect(errorTable[code].message.length).toBeGreaterThan(0);
    }
  });
  it('recognises only its own codes', () => {
    expect(isErrorCode('not_found')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('__proto__')).toBe(false);
  });
});
