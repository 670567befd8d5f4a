import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { configTable } from './config-docs.ts';

describe('config', () => {
  it('defaults follow SPEC', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      SPLIT_EXPERT_PERCENT: 70,
      ESCROW_RELEASE_HOURS: 24,
      START_WINDOW_BEFORE_MIN: 5,
      START_WINDOW_AFTER_MIN: 15,
      SLOT_PRICE_MIN: 100,
      SLOT_PRICE_MAX: 25_000,
      FILE_MAX_BYTES: 10 * 1024 * 1024,
      MIN_BALANCE_MINUTES: 3,
      REJOIN_WINDOW_S: 120,
      ROLES: ['api', 'realtime', 'sweeper'],
      publicUrl: 'http://localhost:3000',
      cookieSecure: false,
    });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        SPLIT_EXPERT_PERCENT: '120',
        ROLES: 'api,cron',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'SPLIT_EXPERT_PERCENT', 'ROLES'])
      expect(problems).toContain(name);
  });

  it('takes roles from --roles= and https public URLs make cookies Secure', () => {
    const c = loadConfig({ PUBLIC_URL: 'https://hg.example/' }, ['--roles=api']);
    expect(c.ROLES).toEqual(['api']);
    expect(c.publicUrl).toBe('https://hg.example');
    expect(c.cookieSecure).toBe(true);
  });

  it('refuses a minimum slot price above the maximum', () => {
    expect(() => loadConfig({ SLOT_PRICE_MIN: '500', SLOT_PRICE_MAX: '100' })).toThrow(
      /SLOT_PRICE_MIN/,
    );
  });

  it('TURN servers need the shared secret; STUN and TURN take only their own URL schemes', () => {
    expect(() => loadConfig({ TURN_URLS: 'turn:t.example:3478' })).toThrow(/TURN_SECRET: required/);
    expect(() =>
      loadConfig({ TURN_URLS: 'http://t.example', TURN_SECRET: 'x'.repeat(16) }),
    ).toThrow(/TURN_URLS/);
    expect(() => loadConfig({ STUN_URLS: 'turn:t.example' })).toThrow(/STUN_URLS/);
    expect(loadConfig({ STUN_URLS: 'none' }).STUN_URLS).toEqual([]);
  });

  it('the README documents every setting (generated table is in the README verbatim)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(configTable());
  });
});
