import { act, cleanup, render, screen } from '@testing-library/react';
import type { SessionStatePayload } from '@hourglass/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionRoom } from '../../../sdk/src/room.ts';
import { Money } from '../../src/room/Money.tsx';
import { Timer } from '../../src/room/Timer.tsx';

const T0 = Date.parse('2026-03-02T12:00:00Z');

/** A room whose state a server would have sent: the timer reads only the room (no connection needed). */
function roomAt(
  timer: Partial<SessionStatePayload['timer']>,
  serverOffsetMs = 0,
  state: Partial<SessionStatePayload> = {},
) {
  const room = new SessionRoom({ baseUrl: 'http://127.0.0.1:9', token: 'hgj_unused' });
  room.state = {
    you: 'client',
    ratePerMinute: 100,
    balance: 0,
    money: { spent: 0, earned: null, expertPercent: null },
    ...state,
    timer: {
      startedAt: new Date(T0).toISOString(),
      endsAt: null,
      paidUntil: null,
      pausedAt: null,
      serverNow: new Date(T0).toISOString(),
      ...timer,
    },
    state: 'live',
  } as SessionStatePayload;
  room.offsetMs = serverOffsetMs;
  return room;
}

describe('Timer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0 + 90_000);
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("counts up from the start and down to the deadline on the server's clock", () => {
    render(<Timer room={roomAt({ endsAt: new Date(T0 + 15 * 60_000).toISOString() })} />);
    expect(screen.getByTestId('elapsed').textContent).toBe('01:30');
    expect(screen.getByTestId('remaining').textContent).toBe('13:30');
    act(() => vi.advanceTimersByTime(60_000));
    expect(screen.getByTestId('elapsed').textContent).toBe('02:30');
    expect(screen.getByTestId('remaining').textContent).toBe('12:30');
  });

  it("corrects a local clock that is off by the server's offset", () => {
    // This machine's clock is 40 s behind the server's.
    render(<Timer room={roomAt({ endsAt: new Date(T0 + 15 * 60_000).toISOString() }, 40_000)} />);
    expect(screen.getByTestId('elapsed').textContent).toBe('02:10');
    expect(screen.getByTestId('remaining').textContent).toBe('12:50');
  });

  it('stands still while the clock is paused, and says why', () => {
    render(
      <Timer
        room={roomAt({
          paidUntil: new Date(T0 + 120_000).toISOString(),
          pausedAt: new Date(T0 + 30_000).toISOString(),
        })}
      />,
    );
    expect(screen.getByTestId('paused').textContent).toMatch(/away/);
    expect(screen.getByTestId('elapsed').textContent).toBe('00:30');
    act(() => vi.advanceTimersByTime(60_000));
    expect(screen.getByTestId('elapsed').textContent).toBe('00:30');
    expect(screen.getByTestId('remaining').textContent).toBe('01:30');
  });

  it("on demand, the client's clock counts down what the balance buys, not the paid minute", () => {
    // Minute 2 is paid until T0 + 120 s; $3.50 at $1.00 a minute buys three more whole minutes.
    render(
      <Timer
        room={roomAt({ paidUntil: new Date(T0 + 120_000).toISOString() }, 0, { balance: 350 })}
      />,
    );
    expect(screen.getByTestId('remaining').textContent).toBe('03:30');
    expect(screen.getByText('Balance lasts')).toBeTruthy();
    // The expert is not shown the client's balance, nor an end that is not fixed.
    cleanup();
    render(
      <Timer
        room={roomAt({ paidUntil: new Date(T0 + 120_000).toISOString() }, 0, {
          you: 'expert',
          balance: null,
        })}
      />,
    );
    expect(screen.queryByTestId('remaining')).toBeNull();
  });
});

describe('Money', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0 + 30_000);
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });
  const live = { paidUntil: new Date(T0 + 60_000).toISOString() };

  it('the client sees the rate, the cost so far and the balance; each charged minute adds to it', () => {
    const room = roomAt(live, 0, {
      ratePerMinute: 250,
      balance: 4750,
      money: { spent: 250, earned: null, expertPercent: null },
    });
    render(<Money room={room} />);
    expect(screen.getByTestId('rate').textContent).toBe('$2.50/min');
    expect(screen.getByTestId('spent').textContent).toBe('$2.50');
    expect(screen.getByTestId('balance').textContent).toBe('$47.50');
    expect(screen.queryByTestId('earned')).toBeNull();
    act(() => {
      charged(room, { minute: 2, amount: 250, balance: 4500 });
      vi.advanceTimersByTime(1000);
    });
    expect(screen.getByTestId('spent').textContent).toBe('$5.00');
    expect(screen.getByTestId('balance').textContent).toBe('$45.00');
  });

  it('the expert sees what the session has earned them, after the fee, and nothing of the client', () => {
    const room = roomAt(live, 0, {
      you: 'expert',
      ratePerMinute: 333,
      balance: null,
      money: { spent: null, earned: 233, expertPercent: 70 },
    });
    render(<Money room={room} />);
    expect(screen.getByTestId('earned').textContent).toBe('$2.33');
    for (const id of ['spent', 'balance', 'rate']) expect(screen.queryByTestId(id)).toBeNull();
    // 70 % of 3.33, rounded down as the ledger splits it: 2.33 more.
    act(() => {
      charged(room, { minute: 2, amount: 333, balance: null });
      vi.advanceTimersByTime(1000);
    });
    expect(screen.getByTestId('earned').textContent).toBe('$4.66');
  });
});

/** The server's `billing:charged`, as the room's socket would hand it on. */
function charged(room: SessionRoom, p: { minute: number; amount: number; balance: number | null }) {
  const socket = (room as unknown as { socket: { listeners(e: string): ((p: unknown) => void)[] } })
    .socket;
  for (const l of socket.listeners('billing:charged'))
    l({ ...p, paidUntil: new Date(T0 + p.minute * 60_000).toISOString() });
}
