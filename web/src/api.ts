import { createClient } from '@hourglass/sdk';

/** The CSRF token the server set at sign-in (a readable cookie), sent on every write. */
const csrf = () => document.cookie.match(/(?:^|; )hg_csrf=([^;]+)/)?.[1];

/** The web app talks to the server only through the SDK: signed in (cookie), or with a join link's token. */
export const api = createClient({ baseUrl: location.origin, csrfToken: () => (csrf() ? decodeURIComponent(csrf()!) : undefined) });
export const asParticipant = (joinToken: string) => createClient({ baseUrl: location.origin, joinToken });
