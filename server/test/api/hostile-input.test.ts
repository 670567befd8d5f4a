import { errorCodes } from '@hourglass/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '../../../test-support/databases.ts';
import { buildApiKey, buildSession, buildSignedIn } from '../../../test-support/factories.ts';
import {
  call,
  startServer,
  type CallOptions,
  type TestServer,
} from '../../../test-support/server.ts';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
};
interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  parameters: { name: string; in: 'path' | 'query'; schema: JsonSchema }[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
}

/** A value of the wrong kind for a schema: the server must refuse it, naming the field. */
function wrongValueFor(s: JsonSchema): unknown {
  const type = Array.isArray(s.type) ? s.type[0] : (s.type ?? s.anyOf?.[0]?.type);
  if (s.enum) return 'definitely-not-allowed';
  switch (type) {
    case 'string':
      return 12345;
    case 'number':
    case 'integer':
      return 'twelve';
    case 'boolean':
      return 'yes';
    case 'array':
      return 'not-an-array';
    default:
      return ['not', 'an', 'object'];
  }
}

const twoMegabytes = JSON.stringify({ bio: 'x'.repeat(2 * 1024 * 1024) });
const badIds = [
  'not-a-uuid',
  "1' or '1'='1",
  '..%2F..%2Fetc%2Fpasswd',
  '00000000-0000-0000-0000-000000000000',
  `${'a'.repeat(300)}`,
];

describeOnDatabases('hostile input on every route of the OpenAPI document', (target) => {
  let server: TestServer;
  let doc: { paths: Record<string, Record<string, Operation>> };
  const auth: Record<string, Record<string, string>> = {};
  /** A valid value for each path parameter, so that the other parts of a request are what is tested. */
  const validParam: Record<string, string> = {};

  /** Every table's rows, hashed: "changes nothing" means this is identical afterwards. */
  async function fingerprint() {
    // realtime_nodes is left out: the node's heartbeat moves its row every few seconds, whatever the requests do.
    const { rows: tables } = await sql<{
      t: string;
    }>`select table_name as t from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name <> 'realtime_nodes' order by 1`.execute(
      server.deps.db,
    );
    const out: Record<string, string> = {};
    for (const { t } of tables) {
      const { rows } = await sql<{
        h: string | null;
        n: number;
      }>`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h, count(*)::int as n from ${sql.table(t)} x`.execute(
        server.deps.db,
      );
      out[t] = `${rows[0]!.n}:${rows[0]!.h}`;
    }
    return out;
  }

  beforeAll(async () => {
    server = await startServer(target);
    doc = (await call(server.url, 'GET', '/openapi.json')).body;
    const admin = await buildSignedIn(server, 'admin');
    const expert = await buildSignedIn(server, 'expert');
    const s = await buildSession(server.deps);
    validParam.id = s.session.id;
    validParam.userId = s.client.id;
    validParam.payoutId = `payout:${s.expert.id}:walker`;
    validParam.slotId = s.session.id;
    validParam.fileId = s.session.id;
    auth.cookieAuth = admin.headers;
    auth.expertCookie = expert.headers;
    auth.apiKeyAuth = { authorization: `Bearer ${await buildApiKey(server.deps)}` };
    auth.joinToken = { 'x-join-token': s.links.client.token };
  });
  afterAll(() => server?.close());

  function credentialsFor(op: Operation): Record<string, string> {
    if (op.operationId === 'updateMyExpertProfile') return auth.expertCookie!;
    const schemes = op.security.flatMap((s) => Object.keys(s));
    // Prefer a credential that passes authorization, so validation is what is being tested.
    for (const scheme of ['cookieAuth', 'apiKeyAuth', 'joinToken'])
      if (schemes.includes(scheme)) return auth[scheme]!;
    return {};
  }

  it('walks every operation and every kind of bad input: always a 4xx with a code from the table, nothing changed', async () => {
    const before = await fingerprint();
    const failures: string[] = [];
    let requests = 0;
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(20);

    for (const { path, method, op } of operations) {
      const headers = credentialsFor(op);
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      for (const p of params) expect(validParam[p], `a valid value for {${p}}`).toBeDefined();
      const pathWith = (bad?: { name: string; value: string }) =>
        path.replace(/\{(\w+)\}/g, (_, name: string) =>
          bad?.name === name ? bad.value : validParam[name]!,
        );
      const send = async (label: string, p: string, opts: CallOptions, expectIssueAt?: string) => {
        requests++;
        const r = await call(server.url, method, p, {
          ...opts,
          headers: { ...headers, ...opts.headers },
        });
        const code = r.body?.error?.code;
        if (r.status < 400 || r.status >= 500 || !errorCodes.includes(code)) {
          failures.push(
            `${op.operationId} ${label}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`,
          );
        } else if (
          expectIssueAt &&
          !JSON.stringify(r.body.error.details ?? '').includes(expectIssueAt)
        ) {
          failures.push(
            `${op.operationId} ${label}: refused without naming ${expectIssueAt}: ${JSON.stringify(r.body)}`,
          );
        }
      };
      const validPath = pathWith();
      for (const name of params) {
        for (const id of badIds) {
          await send(
            `bad {${name}} ${id.slice(0, 20)}`,
            pathWith({ name, value: encodeURIComponent(id) }),
            method === 'GET' || method === 'DELETE' ? {} : { body: {} },
          );
        }
      }

      const query = op.parameters.filter((p) => p.in === 'query');
      if (query.length) {
        await send('unknown query parameter', `${validPath}?evil=1`, {});
        for (const q of query) {
          await send(
            `query ${q.name} wrong`,
            `${validPath}?${q.name}=${encodeURIComponent(JSON.stringify(wrongValueFor(q.schema)))}&${q.name}=twice`,
            {},
          );
          if (q.schema.type === 'integer')
            await send(`query ${q.name} out of range`, `${validPath}?${q.name}=-5`, {});
        }
        await send(
          'prototype key in query',
          `${validPath}?__proto__[admin]=1&constructor[prototype][x]=1`,
          {},
        );
      }

      if (method === 'GET' || method === 'DELETE') continue;
      await send('malformed JSON', validPath, { raw: '{"email": "a@b.c",' });
      await send('JSON that is not an object', validPath, { raw: '[1,2,3]' });
      await send('2 MB body', validPath, { raw: twoMegabytes });
      await send('__proto__ key', validPath, {
        raw: '{"__proto__": {"role": "admin"}, "name": "x"}',
      });
      await send('constructor.prototype key', validPath, {
        raw: '{"constructor": {"prototype": {"role": "admin"}}}',
      });
      await send('nested __proto__', validPath, { raw: '{"expert": {"__proto__": {"x": 1}}}' });
      await send('text/plain body', validPath, {
        raw: 'role=admin',
        headers: { 'content-type': 'text/plain' },
      });
      await send('unknown field', validPath, { body: { zzzUnknown: true } });
      if (op.parameters.some((p) => p.name === 'Idempotency-Key')) {
        await send(
          'bad Idempotency-Key',
          validPath,
          { body: {}, headers: { 'idempotency-key': 'spaces and / slashes' } },
          'headers.idempotency-key',
        );
      }

      const schema = op.requestBody?.content['application/json'].schema;
      if (schema?.required?.length) await send('missing fields', validPath, { body: {} });
      for (const [prop, s] of Object.entries(schema?.properties ?? {})) {
        await send(
          `wrong type for ${prop}`,
          validPath,
          { body: { [prop]: wrongValueFor(s) } },
          `body.${prop}`,
        );
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(150);
    expect(await fingerprint()).toEqual(before);
    // Prototype pollution would show on every object in this process.
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
