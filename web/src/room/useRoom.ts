import { useEffect, useReducer } from 'react';
import type { SessionRoom } from '@hourglass/sdk';

/**
 * Re-renders on any of the room's changes; the room object itself holds the truth. It also
 * re-renders once right after subscribing: a change that came between the render and the
 * subscription (the first state, say) is then not missed.
 */
export function useRoomUpdates(room: SessionRoom) {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const offs = (['state', 'messages', 'connection', 'timer', 'ended'] as const).map((e) =>
      room.on(e, bump),
    );
    bump();
    return () => offs.forEach((off) => off());
  }, [room]);
}

export const mmss = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
