import { errorText } from './format.ts';
import { useCallback, useEffect, useRef, useState } from 'react';

/** What a page shows while it reads from the server: the data, whether it is loading, or the error. */
export interface Query<T> {
  data: T | undefined;
  loading: boolean;
  error: string | null;
  /** Reads again (after a change the page made), keeping the data shown meanwhile. */
  reload(): void;
}

/**
 * The one way a component reads from the server: `load` runs when the component mounts and
 * whenever `deps` change (and every `refreshMs`, if given); an answer to a read that has been
 * superseded — the deps changed, the component unmounted — is dropped, never shown.
 */
export function useQuery<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  o: { refreshMs?: number } = {},
): Query<T> {
  const [state, setState] = useState<{
    data: T | undefined;
    loading: boolean;
    error: string | null;
  }>({
    data: undefined,
    loading: true,
    error: null,
  });
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(() => {
    const id = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => id === latest.current && setState({ data, loading: false, error: null }),
      (err: unknown) =>
        id === latest.current && setState((s) => ({ ...s, loading: false, error: errorText(err) })),
    );
  }, []);

  useEffect(() => {
    run();
    const timer = o.refreshMs ? setInterval(run, o.refreshMs) : undefined;
    return () => {
      latest.current++;
      clearInterval(timer);
    };
    // The caller's deps decide when to read again.
  }, [run, o.refreshMs, ...deps]);

  return { ...state, reload: run };
}
