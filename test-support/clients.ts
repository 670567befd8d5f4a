import { createClient, type HourglassClient } from '../sdk/src/client.ts';
import { HourglassError } from '../sdk/src/errors.ts';

/**
 * The SDK's typed client as a test's caller: API tests go through it, as a host platform and
 * the web app do (raw HTTP only where a test is about the wire: hostile input, the
 * authorization matrix, health and logs). In Node there is no cookie jar: a signed-in caller's
 * cookie and CSRF token are sent by hand.
 */
export function clientFor(
  baseUrl: string,
  as:
    | { cookie: string; 'x-csrf-token': string }
    | { apiKey: string }
    | { joinToken: string }
    | object = {},
): HourglassClient {
  if ('apiKey' in as) return createClient({ baseUrl, apiKey: as.apiKey });
  if ('joinToken' in as) return createClient({ baseUrl, joinToken: as.joinToken });
  if (!('cookie' in as)) return createClient({ baseUrl });
  const { cookie, 'x-csrf-token': csrf } = as;
  return createClient({
    baseUrl,
    csrfToken: () => csrf,
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie } }),
  });
}

/** The refusal a call ends in (the SDK's HourglassError: `code`, `status`, `details`); fails the test if it succeeds. */
export async function refusal(call: Promise<unknown>): Promise<HourglassError> {
  return call.then(
    () => {
      throw new Error('the call succeeded, but a refusal was expected');
    },
    (err: unknown) => {
      if (!(err instanceof HourglassError)) throw err;
      return err;
    },
  );
}
