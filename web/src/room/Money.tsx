import type { SessionRoom } from '@hourglass/sdk';
import { money } from '../format.ts';
import { useTick } from '../tick.ts';

/**
 * The session's money beside its clock: the client sees the rate, what the session has cost so
 * far and the balance; the expert sees what it has earned them. Updated as each minute is
 * charged (the room's state changes), read once a second like the timer.
 */
export function Money({ room }: { room: SessionRoom }) {
  useTick(1000);
  const m = room.money();
  if (m.earned !== null)
    return (
      <div className="timer-row" data-testid="money">
        <div>
          <span className="muted">Earned</span> <span data-testid="earned">{money(m.earned)}</span>
        </div>
      </div>
    );
  if (m.spent === null) return null;
  return (
    <div className="timer-row" data-testid="money">
      {m.ratePerMinute !== null && (
        <div>
          <span className="muted">Rate</span>{' '}
          <span data-testid="rate">{money(m.ratePerMinute)}/min</span>
        </div>
      )}
      <div>
        <span className="muted">Cost so far</span> <span data-testid="spent">{money(m.spent)}</span>
      </div>
      {m.balance !== null && (
        <div>
          <span className="muted">Balance</span>{' '}
          <span data-testid="balance">{money(m.balance)}</span>
        </div>
      )}
    </div>
  );
}
