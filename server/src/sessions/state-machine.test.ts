import { SessionState } from '@hourglass/protocol';
import { describe, expect, it } from 'vitest';
import {
  commandTypes,
  isTerminal,
  transition,
  type CommandType,
  type SessionCommand,
} from './state-machine.ts';

// The whole table, written out: → next state, '=' a harmless repeat, 'X' invalid, 'E' session_ended.
const table: Record<SessionState, Record<CommandType, string>> = {
  requested: {
    accept: 'accepted',
    decline: 'declined',
    expire: 'expired',
    cancel: 'cancelled',
    open: 'X',
    start: 'X',
    end: 'X',
    no_show: 'X',
  },
  accepted: {
    accept: 'X',
    decline: 'X',
    expire: 'expired',
    cancel: 'cancelled',
    open: 'X',
    start: 'live',
    end: 'X',
    no_show: 'X',
  },
  booked: {
    accept: 'X',
    decline: 'X',
    expire: 'X',
    cancel: 'cancelled',
    open: 'open',
    start: 'X',
    end: 'X',
    no_show: 'no_show',
  },
  open: {
    accept: 'X',
    decline: 'X',
    expire: 'X',
    cancel: 'cancelled',
    open: 'X',
    start: 'live',
    end: 'X',
    no_show: 'no_show',
  },
  live: {
    accept: 'X',
    decline: 'X',
    expire: 'X',
    cancel: 'X',
    open: 'X',
    start: 'X',
    end: 'ended',
    no_show: 'X',
  },
  ended: {
    accept: 'E',
    decline: 'E',
    expire: 'E',
    cancel: 'E',
    open: 'E',
    start: 'E',
    end: '=',
    no_show: 'E',
  },
  declined: {
    accept: 'X',
    decline: '=',
    expire: 'X',
    cancel: 'X',
    open: 'X',
    start: 'X',
    end: 'X',
    no_show: 'X',
  },
  expired: {
    accept: 'X',
    decline: 'X',
    expire: '=',
    cancel: 'X',
    open: 'X',
    start: 'X',
    end: 'X',
    no_show: 'X',
  },
  cancelled: {
    accept: 'X',
    decline: 'X',
    expire: 'X',
    cancel: '=',
    open: 'X',
    start: 'X',
    end: 'X',
    no_show: 'X',
  },
  no_show: {
    accept: 'X',
    decline: 'X',
    expire: 'X',
    cancel: 'X',
    open: 'X',
    start: 'X',
    end: 'X',
    no_show: '=',
  },
};

const command = (type: CommandType): SessionCommand =>
  type === 'end' ? { type, reason: 'completed' } : { type };

describe('session state machine (docs/ARCHITECTURE.md, "Sessions")', () => {
  it('the table covers every state and every command', () => {
    expect(Object.keys(table).sort()).toEqual([...SessionState.options].sort());
    for (const row of Object.values(table))
      expect(Object.keys(row).sort()).toEqual([...commandTypes].sort());
  });

  for (const state of SessionState.options) {
    for (const type of commandTypes) {
      const expected = table[state][type];
      it(`${state} + ${type} → ${expected}`, () => {
        const t = transition(state, command(type));
        if (expected === 'X')
          expect(t).toEqual({ ok: false, code: 'invalid_transition', state, command: type });
        else if (expected === 'E')
          expect(t).toEqual({ ok: false, code: 'session_ended', state, command: type });
        else if (expected === '=') expect(t).toEqual({ ok: true, state, changed: false });
        else expect(t).toEqual({ ok: true, state: expected, changed: true });
      });
    }
  }

  it('terminal states are exactly those with no way out', () => {
    const terminal = SessionState.options.filter(isTerminal);
    expect(terminal.sort()).toEqual(['cancelled', 'declined', 'ended', 'expired', 'no_show']);
    for (const s of terminal) {
      for (const type of commandTypes) {
        const t = transition(s, command(type));
        expect(t.ok ? t.state : s).toBe(s);
      }
    }
  });

  it('live is reachable only through start, and ended only from live', () => {
    for (const s of SessionState.options) {
      for (const type of commandTypes) {
        const t = transition(s, command(type));
        if (t.ok && t.changed && t.state === 'live') expect(type).toBe('start');
        if (t.ok && t.changed && t.state === 'ended') expect(s).toBe('live');
      }
    }
  });
});
