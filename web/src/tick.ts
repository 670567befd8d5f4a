import { useEffect, useReducer } from 'react';

/** Re-renders every `ms` (a running clock, a countdown). */
export function useTick(ms: number) {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const t = setInterval(bump, ms);
    return () => clearInterval(t);
  }, [ms]);
}

/** Server time − local time, from a snapshot's `serverNow` taken just now. */
export const offsetFrom = (serverNow: string) => Date.parse(serverNow) - Date.now();
