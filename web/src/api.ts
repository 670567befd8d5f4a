import { createClient } from '@hourglass/sdk';

/** The CSRF token the server set at sign-in (a readable cookie), sent on every write. */
export const csrfToken = () => {
  const raw = document.cookie.match(/(?:^|; )hg_csrf=([^;]+)/)?.[1];
  return raw ? decodeURIComponent(raw) : undefined;
};

/** The web app talks to the server only through the SDK: signed in (cookie), or with a join link's token. */
export const api = createClient({ baseUrl: location.origin, csrfToken });
export const asParticipant = (joinToken: string) =>
  createClient({ baseUrl: location.origin, joinToken });
