import type { SessionRoom } from '@hourglass/sdk';
import { useTick } from '../tick.ts';
import { mmss } from './useRoom.ts';

/** Elapsed and remaining time on the server's clock (its deadline, corrected by its offset). */
export function Timer({ room }: { room: SessionRoom }) {
  useTick(250);
  const t = room.timer();
  const deadline = room.state?.timer.endsAt ?? room.state?.timer.paidUntil ?? '';
  return (
    <div className="timer-row" data-testid="timer">
      <div>
        <span className="muted">Elapsed</span>{' '}
        <span className="timer" data-testid="elapsed">
          {mmss(t.elapsedMs)}
        </span>
      </div>
      {t.remainingMs !== null && (
        <div>
          <span className="muted">{room.state?.timer.endsAt ? 'Remaining' : 'Balance lasts'}</span>{' '}
          <span
            className="timer"
            data-testid="remaining"
            data-ms={t.remainingMs}
            data-deadline={deadline}
          >
            {mmss(t.remainingMs)}
          </span>
        </div>
      )}
      {t.paused && (
        <span className="badge" data-testid="paused">
          Paused — the other side is away
        </span>
      )}
    </div>
  );
}
