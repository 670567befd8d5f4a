import { act, cleanup, render, screen } from '@testing-library/react';
import type { SessionStatePayload } from '@hourglass/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionRoom } from '../../../sdk/src/room.ts';
import { Timer } from '../../src/room/Timer.tsx';

const T0 = Date.parse('2026-03-02T12:00:00Z');

/** A room whose state a server would have sent: the timer reads only the room (no connection needed). */
function roomAt(timer: Partial<SessionStatePayload['timer']>, serverOffsetMs = 0) {
  const room = new SessionRoom({ baseUrl: 'http://127.0.0.1:9', token: 'hgj_unused' });
  room.state = {
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
});
