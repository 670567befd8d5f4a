import { useEffect, useState } from 'react';
import type { ResponseOf } from '@hourglass/sdk';
import { api } from './api.ts';

export type Me = ResponseOf<'me'>;

/** Who is signed in, asked once and shared by every page; `refreshMe()` after sign-in or out. */
let current: Promise<Me | null> | null = null;
const listeners = new Set<() => void>();

export function refreshMe() {
  current = api.call('me').catch(() => null);
  listeners.forEach((l) => l());
}

/** undefined while asking; null when signed out. */
export function useMe(): Me | null | undefined {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    const load = () =>
      void (current ??= api.call('me').catch(() => null)).then((m) => live && setMe(m));
    listeners.add(load);
    load();
    return () => {
      live = false;
      listeners.delete(load);
    };
  }, []);
  return me;
}
