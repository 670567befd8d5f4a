import { errorCodes, errorTable } from '@hourglass/protocol';
import { describe, expect, it } from 'vitest';
import { HourglassError } from './errors.ts';
import { describeError, messages } from './messages.ts';

const ctx = {
  money: (minor: number) => `$${(minor / 100).toFixed(2)}`,
  time: (iso: string) => iso.slice(11, 16),
  fields: { amount: 'Amount', 'weekly.end': 'Until', 'weekly.start': 'From' },
};
/** What a person must never see: a code, a field path, a status, JSON, minor units. */
const technical = /_|\bbody\b|\{|\}|\bnull\b|\bundefined\b|\bHTTP\b|\d{3,}(?![.,]\d)|Invalid/;

describe('the message table', () => {
  it('has a sentence for every error code, with and without details, none of it technical', () => {
    for (const code of errorCodes)
      for (const details of [undefined, {}, { issues: [] }]) {
        const sentence = messages[code](details, ctx);
        expect(sentence, code).toMatch(/^[A-Z].*[.!]$/);
        expect(sentence, code).not.toMatch(technical);
        expect(sentence, code).not.toContain(code);
        // The API's own text is for developers; a person's sentence is written for them.
        expect(sentence, code).not.toBe(errorTable[code].message);
      }
  });

  it('says amounts in money, sizes in MB, times as times, fields as the form labels them', () => {
    const say = (code: keyof typeof messages, details: Record<string, unknown>) =>
      messages[code](details, ctx);
    expect(say('insufficient_funds', { required: 2500, balance: 400 })).toBe(
      'Your balance of $4.00 does not cover the $25.00 needed. Please top up and try again.',
    );
    expect(say('validation_failed', { min: 100, max: 50_000, issues: [] })).toBe(
      'Please enter an amount from $1.00 to $500.00.',
    );
    expect(
      say('validation_failed', {
        issues: [
          { path: 'body.weekly.0.end', message: 'Too small' },
          { path: 'body.weekly.1.start', message: 'Invalid' },
          { path: 'body.weekly.2.end', message: 'Too small' },
        ],
      }),
    ).toBe('Please check “Until” and “From”.');
    expect(say('payload_too_large', { max: 10 * 1024 * 1024 })).toBe(
      'This file is too large: files can be up to 10 MB.',
    );
    expect(say('quota_exceeded', { quota: 50 * 1024 * 1024 })).toMatch(/all 50 MB of your/);
    expect(
      say('outside_start_window', {
        opensAt: '2026-03-02T12:55:00.000Z',
        closesAt: '2026-03-02T13:15:00.000Z',
      }),
    ).toBe('This session can be joined from 12:55 until 13:15.');
    expect(say('too_many_attempts', { retryAfterSeconds: 900 })).toMatch(/wait 15 minutes/);
    expect(say('too_many_attempts', { retryAfterSeconds: 30 })).toMatch(/wait 1 minute /);
  });

  it('describes whatever a call failed with: a refusal, a realtime refusal, the network, the unforeseen', () => {
    const refusal = new HourglassError('slot_taken', 'This time is not open…', 409);
    expect(describeError(refusal)).toBe('This time is no longer available. Please choose another.');
    expect(describeError({ code: 'token_revoked', message: 'x' })).toMatch(/no longer works/);
    expect(describeError(new TypeError('fetch failed'))).toBe(
      'We cannot reach the server. Check your connection and try again.',
    );
    expect(describeError(new Error('boom'))).toBe(
      'Something went wrong on our side. Please try again.',
    );
    expect(
      describeError(
        new HourglassError('insufficient_funds', '', 402, { required: 500, balance: 0 }),
        {
          money: (m) => `€${m / 100}`,
        },
      ),
    ).toMatch(/balance of €0 does not cover the €5 needed/);
  });
});
