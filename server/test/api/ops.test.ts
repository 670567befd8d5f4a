import { errorCodes } from '@hourglass/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOnDatabases, pgliteTarget } from '../../../test-support/databases.ts';
import { buildApiKey, buildSession } from '../../../test-support/factories.ts';
import { call, errorCode, startServer, type TestServer } from '../../../test-support/server.ts';
import { loadConfig } from '../../src/config.ts';
import { loadMigrations } from '../../src/db/migrate.ts';
import { AppError } from '../../src/platform/errors.ts';
import { createHttp } from '../../src/platform/http.ts';
import { createMetrics } from '../../src/platform/metrics.ts';

describeOnDatabases('health, metrics and the API description', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(target);
  });
  afterAll(() => server?.close());

  it('G4: /healthz answers; /readyz reports the database and its migrations', async () => {
    expect((await call(server.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await call(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      database: target.name,
      migrations: loadMigrations().length,
    });
  });

  it('G4: /metrics is Prometheus text with request counts by route and status', async () => {
    const { session } = await buildSession(server.deps);
    await call(server.url, 'POST', `/api/sessions/${session.id}/cancel`, {
      headers: { authorization: `Bearer ${await buildApiKey(server.deps)}` },
    });
    await call(server.url, 'GET', '/api/experts');
    await call(server.url, 'GET', '/api/sessions/validate?token=nope');
    const m = await call(server.url, 'GET', '/metrics');
    expect(m.headers.get('content-type')).toContain('text/plain');
    expect(m.body).toContain(
      'hourglass_http_requests_total{method="GET",route="/api/experts",status="200"}',
    );
    expect(m.body).toContain('route="/api/sessions/validate",status="401"');
    expect(m.body).toContain('hourglass_process_cpu_seconds_total');
    expect(m.body).toContain(
      'hourglass_session_transitions_total{event="cancel",state="cancelled"} 1',
    );
  });

  it('/openapi.json is OpenAPI 3.1 with every endpoint, and /docs renders it from local assets', async () => {
    const doc = (await call(server.url, 'GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/sessions/{id}/join'].post.security).toEqual([{ joinToken: [] }]);
    expect(
      doc.paths['/api/sessions'].post.requestBody.content['application/json'].schema.properties.type
        .enum,
    ).toEqual(['chat', 'voice', 'video']);
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(errorCodes);
    const docs = await call(server.url, 'GET', '/docs');
    expect(docs.body).toContain('/docs/assets/swagger-ui-bundle.js');
    expect((await call(server.url, 'GET', '/docs/init.js')).body).toContain("url: '/openapi.json'");
    const asset = await fetch(`${server.url}/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
    await asset.arrayBuffer();
  });

  it('unknown routes answer in the one error shape', async () => {
    const r = await call(server.url, 'GET', '/api/nope');
    expect([r.status, errorCode(r)]).toEqual([404, 'not_found']);
    const m = await call(server.url, 'PUT', '/api/sessions');
    expect(errorCode(m)).toBe('not_found');
  });

  it('the web app is served at each of its routes: /, /session/{token}, /experts, /experts/{id}', async () => {
    const { links, expert } = await buildSession(server.deps);
    for (const p of [
      '/',
      new URL(links.client.url).pathname,
      '/experts',
      `/experts/${expert.id}`,
      '/sessions',
      '/wallet',
      '/dashboard',
    ]) {
      const r = await fetch(server.url + p);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('<title>Hourglass</title>');
    }
  });
});

describe('the HTTP edge', () => {
  it('normalises any throwable to `internal` without leaking its message', async () => {
    const app = createHttp(loadConfig({ LOG_LEVEL: 'silent' }), createMetrics());
    app.get('/error', async () => {
      throw new Error('secret detail from the database');
    });
    app.get('/string', async () => {
      throw 'a bare string';
    });
    app.get('/object', async () => {
      throw { weird: true };
    });
    app.get('/app', async () => {
      throw new AppError('forbidden', 'Nope.', { why: 'test' });
    });
    for (const url of ['/error', '/string', '/object']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toEqual({
        error: { code: 'internal', message: 'Something went wrong on our side.' },
      });
    }
    const r = await app.inject({ method: 'GET', url: '/app' });
    expect([r.statusCode, r.json()]).toEqual([
      403,
      { error: { code: 'forbidden', message: 'Nope.', details: { why: 'test' } } },
    ]);
    await app.close();
  });

  it('never logs join tokens, API keys, cookies or CSRF tokens', async () => {
    const lines: string[] = [];
    const server = await startServer(pgliteTarget);
    const { links } = await buildSession(server.deps);
    const key = await buildApiKey(server.deps);
    const logged = createHttp(loadConfig({ LOG_LEVEL: 'info' }), createMetrics(), {
      write: (l: string) => lines.push(l),
    });
    logged.get('/api/sessions/validate', async () => ({ ok: true }));
    await logged.inject({
      method: 'GET',
      url: `/api/sessions/validate?token=${links.client.token}`,
      headers: {
        'x-join-token': links.expert.token,
        authorization: `Bearer ${key}`,
        cookie: 'hg_session=hgs_secretcookie',
        'x-csrf-token': 'hgc_secretcsrf',
      },
    });
    await logged.close();
    await server.close();
    const all = lines.join('\n');
    expect(all).toContain('/api/sessions/validate?token=[redacted]');
    for (const secret of [
      links.client.token,
      links.expert.token,
      key,
      'hgs_secretcookie',
      'hgc_secretcsrf',
    ])
      expect(all).not.toContain(secret);
  });
});
