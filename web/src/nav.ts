import type { MouseEvent } from 'react';

/** Client-side navigation: the App listens for popstate and renders the new route. */
export function go(e: MouseEvent | null, path: string) {
  e?.preventDefault();
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}
