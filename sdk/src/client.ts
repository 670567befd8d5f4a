import {
  endpoints,
  type SessionFile,
  type BodyOf,
  type EndpointName,
  type ParamsOf,
  type QueryOf,
  type ResponseOf,
} from '@hourglass/protocol';
import { HourglassError } from './errors.ts';

export interface ClientOptions {
  baseUrl: string;
  /** A host platform's backend key (`hgk_…`). */
  apiKey?: string;
  /** A participant's join token (`hgj_…`), for the session room. */
  joinToken?: string;
  /** A host platform's JWT for one of its users (HOST_JWT_*), asked for at each call. */
  hostToken?: () => string;
  /** In a browser: the CSRF token from sign-in (or the `hg_csrf` cookie), sent on writes. */
  csrfToken?: () => string | undefined;
  fetch?: typeof fetch;
}

type Part<K extends string, T> = [T] extends [undefined] ? object : { [P in K]: T };
type BaseInput<N extends EndpointName> = Part<'params', ParamsOf<N>> &
  Part<'body', BodyOf<N>> &
  Partial<Part<'query', QueryOf<N>>>;
export type CallInput<N extends EndpointName> = BaseInput<N> & {
  /** Money-moving calls: the same key repeats the same movement once (sent as `Idempotency-Key`). */
  idempotencyKey?: string;
};

/** The typed REST client: one method, `call(name, input)`, over the protocol's endpoint table. */
export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.baseUrl.replace(/\/$/, '');

  function credentialHeaders(method: string): Record<string, string> {
    const headers: Record<string, string> = {};
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (options.hostToken) headers.authorization = `Bearer ${options.hostToken()}`;
    if (options.joinToken) headers['x-join-token'] = options.joinToken;
    const csrf = options.csrfToken?.();
    if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    return headers;
  }

  /**
   * Shares a file in a session (D9): the body is the file's bytes, streamed. Refusals:
   * `payload_too_large`, `file_type_not_allowed` (decided by the content, not the name),
   * `quota_exceeded`. Then `call('fileLink', …)` gives a signed URL to fetch it with.
   */
  async function uploadFile(sessionId: string, file: Blob, name: string): Promise<SessionFile> {
    const res = await doFetch(
      `${base}/api/sessions/${encodeURIComponent(sessionId)}/files?name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: {
          ...credentialHeaders('POST'),
          'content-type': file.type || 'application/octet-stream',
        },
        credentials: 'include',
        body: file,
      },
    );
    if (!res.ok) throw await HourglassError.from(res);
    return (await res.json()) as SessionFile;
  }

  async function call<N extends EndpointName>(
    name: N,
    ...[input]: keyof BaseInput<N> extends never ? [CallInput<N>?] : [CallInput<N>]
  ): Promise<ResponseOf<N>> {
    const ep = endpoints[name];
    const { params, query, body, idempotencyKey } = (input ?? {}) as {
      params?: Record<string, string>;
      query?: Record<string, unknown>;
      body?: unknown;
      idempotencyKey?: string;
    };
    const path = ep.path.replace(/\{(\w+)\}/g, (_, k: string) =>
      encodeURIComponent(params?.[k] ?? ''),
    );
    const qs = new URLSearchParams(
      Object.entries(query ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])),
    ).toString();
    const headers = credentialHeaders(ep.method);
    if (ep.method !== 'GET') headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const res = await doFetch(`${base}${path}${qs ? `?${qs}` : ''}`, {
      method: ep.method,
      headers,
      credentials: 'include',
      ...(ep.method !== 'GET' && { body: JSON.stringify(body ?? {}) }),
    });
    if (!res.ok) throw await HourglassError.from(res);
    return (res.status === 204 ? null : await res.json()) as ResponseOf<N>;
  }

  return { call, uploadFile };
}

export type HourglassClient = ReturnType<typeof createClient>;
