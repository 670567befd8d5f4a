import type { EndReason, SessionState } from '@hourglass/protocol';

/**
 * The one state machine of a session (docs/ARCHITECTURE.md, "Sessions"). Pure: no I/O, no clock. Services apply
 * its result with a compare-and-set on the row's version, so two racing commands cannot both win.
 *
 *   on_demand:  requested → accepted → live → ended        (declined / expired / cancelled)
 *   scheduled:  booked → open → live → ended                (cancelled / no_show)
 */
export type SessionCommand =
  | { type: 'accept' }
  | { type: 'decline' }
  | { type: 'expire' }
  | { type: 'cancel' }
  | { type: 'open' }
  | { type: 'start' }
  | { type: 'end'; reason: EndReason }
  | { type: 'no_show' };

export type CommandType = SessionCommand['type'];
export const commandTypes: readonly CommandType[] = [
  'accept',
  'decline',
  'expire',
  'cancel',
  'open',
  'start',
  'end',
  'no_show',
];

export type Transition =
  | { ok: true; state: SessionState; changed: boolean }
  | {
      ok: false;
      code: 'invalid_transition' | 'session_ended';
      state: SessionState;
      command: CommandType;
    };

const edges: Partial<Record<SessionState, Partial<Record<CommandType, SessionState>>>> = {
  requested: { accept: 'accepted', decline: 'declined', expire: 'expired', cancel: 'cancelled' },
  accepted: { start: 'live', cancel: 'cancelled', expire: 'expired' },
  booked: { open: 'open', cancel: 'cancelled', no_show: 'no_show' },
  open: { start: 'live', cancel: 'cancelled', no_show: 'no_show' },
  live: { end: 'ended' },
};

/** The command that leads into each terminal state: repeating it is a harmless no-op. */
const terminalBy: Partial<Record<SessionState, CommandType>> = {
  ended: 'end',
  declined: 'decline',
  expired: 'expire',
  cancelled: 'cancel',
  no_show: 'no_show',
};

export const isTerminal = (state: SessionState) => terminalBy[state] !== undefined;

export function transition(state: SessionState, command: SessionCommand): Transition {
  const next = edges[state]?.[command.type];
  if (next) return { ok: true, state: next, changed: true };
  if (terminalBy[state] === command.type) return { ok: true, state, changed: false };
  return {
    ok: false,
    code: state === 'ended' ? 'session_ended' : 'invalid_transition',
    state,
    command: command.type,
  };
}
