import { endpoints, type BodyOf, type EndpointName, type ParamsOf, type QueryOf, type ResponseOf } from '@hourglass/protocol';
import { HourglassError } from './errors.ts';

export interface ClientOptions {
  baseUrl: string;
  /** A host platform's backend key (`hgk_…`). */
  apiKey?: string;
  /** A participant's join token (`hgj_…`), for the session room. */
  joinToken?: string;
  /** In a browser: the CSRF token from sign-in (or the `hg_csrf` cookie), sent on writes. */
  csrfToken?: () => string | undefined;
  fetch?: typeof fetch;
}

type Part<K extends string, T> = [T] extends [undefined] ? object : { [P in K]: T };
type BaseInput<N extends EndpointName> = Part<'params', ParamsOf<N>> & Part<'body', BodyOf<N>> & Partial<Part<'query', QueryOf<N>>>;
export type CallInput<N extends EndpointName> = BaseInput<N> & {
  /** Money-moving calls: the same key repeats the same movement once (sent as `Idempotency-Key`). */
  idempotencyKey?: string;
};

/** The typed REST client: one method, `call(name, input)`, over the protocol's endpoint table. */
export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.baseUrl.replace(/\/$/, '');

  async function call<N extends EndpointName>(name: N, ...[input]: keyof BaseInput<N> extends never ? [CallInput<N>?] : [CallInput<N>]): Promise<ResponseOf<N>> {
    const ep = endpoints[name];
    const { params, query, body, idempotencyKey } = (input ?? {}) as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; idempotencyKey?: string };
    const path = ep.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params?.[k] ?? ''));
    const qs = new URLSearchParams(
      Object.entries(query ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])),
    ).toString();
    const headers: Record<string, string> = {};
    if (ep.method !== 'GET') headers['content-type'] = 'application/json';
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (options.joinToken) headers['x-join-token'] = options.joinToken;
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const csrf = options.csrfToken?.();
    if (csrf && ep.method !== 'GET') headers['x-csrf-token'] = csrf;
    const res = await doFetch(`${base}${path}${qs ? `?${qs}` : ''}`, {
      method: ep.method,
      headers,
      credentials: 'include',
      ...(ep.method !== 'GET' && { body: JSON.stringify(body ?? {}) }),
    });
    if (!res.ok) throw await HourglassError.from(res);
    return (res.status === 204 ? null : await res.json()) as ResponseOf<N>;
  }

  return { call };
}

export type HourglassClient = ReturnType<typeof createClient>;
